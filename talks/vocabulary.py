"""The catalogue's vocabulary, and the typo rule: which catalogue words a misspelt query
word may have meant.

Every word of a talk's search text (title, speaker and topic names, abstract, event
name), folded (accents removed, lower case), of letters only and 4 to 40 of them long, is
a `SearchWord`, with how many talks have it. `refresh_words` stores each talk's words in
`TalkWords`; triggers on that table move the counts by the words that came and went
(migration 0011), so they stay exact whoever writes, including deletes.

The rule is Meilisearch's and Elasticsearch's `fuzziness: AUTO`: a query word of 5 to 8
letters may be 1 edit away from the word meant, one of 9 or more 2 edits (an edit adds,
drops or changes a letter, or swaps two neighbouring ones). The first letter must be
right: typos there are rare, and it keeps the lookup to a few short index ranges. A word
is corrected only when the catalogue lacks it or has it rarely (every correction is in at
least ten times as many talks); it gets the nearest words only (one edit away, if any
are), at most three, the most common. A last word still being typed stays a prefix, and
so do its corrections. The same rule runs in Python on both databases: PostgreSQL only
narrows the candidates first, with fuzzystrmatch's `levenshtein_less_equal`.
"""

import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from talks.models import Talk, TalkSpeaker

WORD_LENGTHS = range(4, 41)  # of a vocabulary word: shorter ones are never corrected to
CORRECTED_FROM = 5  # letters a query word needs before a typo in it is forgiven
TWO_EDITS_FROM = 9
CORRECTION_RATIO = 10  # a correction is in at least this many times the talks of the word
MAX_CORRECTIONS = 3
REFRESH_CHUNK = 1000  # talks whose words are stored in one statement
# Moves the counts of words (parameters: words, changes), as the triggers of migration
# 0011 do for each statement that writes talks' words.
SEARCH_WORDS_APPLY = "SELECT talks_searchword_apply(%s::text[], %s::int[])"


# A run of 4 to 40 letters that is not part of a longer run (WORD_LENGTHS).
_LETTER = r"[^\W\d_]"
_WORD = re.compile(rf"(?<!{_LETTER}){_LETTER}{{4,40}}(?!{_LETTER})")


def fold(text: str) -> str:
    """Text as the vocabulary holds it: accents removed, lower case."""
    if text.isascii():  # most text: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# ASCII text, the most of it, needs no regular expression: a word is a run of a-z.
_SPACE_BUT_LETTERS = bytes.maketrans(
    bytes(range(128)),
    bytes(c if chr(c).isalpha() else ord(" ") for c in range(128)),
)


def words_of(text: str) -> set[str]:
    """The vocabulary words of `text`."""
    if text.isascii():
        runs = text.lower().encode().translate(_SPACE_BUT_LETTERS).decode().split()
        return {run for run in runs if WORD_LENGTHS.start <= len(run) < WORD_LENGTHS.stop}
    return set(_WORD.findall(fold(text)))


def talk_words(pieces: Iterable[str]) -> list[str]:
    """The vocabulary words of a talk's pieces of search text (title, abstract, event,
    speaker and topic names), sorted, as `TalkWords.words` holds them."""
    plain, other = [], []
    for piece in pieces:
        (plain if piece.isascii() else other).append(piece)
    words = words_of(" ".join(plain))
    return sorted(words.union(words_of(" ".join(other))) if other else words)


def as_json(words: list[str]) -> str:
    """Words as `TalkWords.words` holds them: a JSON list. Words are letters only, so
    nothing in them needs escaping."""
    return '["' + '", "'.join(words) + '"]' if words else "[]"


def allowed_edits(word: str) -> int:
    """How many typos a folded query word may hold (0: it is taken as typed)."""
    if not CORRECTED_FROM <= len(word) <= WORD_LENGTHS[-1] or not word.isalpha():
        return 0
    return 1 if len(word) < TWO_EDITS_FROM else 2


def _edits(a: str, b: str, *, swaps: bool, most: int | None = None) -> int:
    """Edits from `a` to `b`: Levenshtein's, or with `swaps` the optimal string alignment
    distance (a swap of neighbouring letters is one edit too). With `most`, any number
    above it once the distance must be."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if swaps and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if most is not None and min(current) > most:
            return most + 1
        previous2, previous = previous, current
    return previous[len(b)]


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps
    of neighbouring letters, each one edit."""
    return _edits(a, b, swaps=True)


def levenshtein_less_equal(a: str | None, b: str | None, most: int) -> int | None:
    """fuzzystrmatch's function of that name, for SQLite: the Levenshtein distance if it
    is at most `most`, else some number above `most`."""
    if a is None or b is None:
        return None
    if abs(len(a) - len(b)) > most:
        return most + 1
    return _edits(a, b, swaps=False, most=most)


@receiver(connection_created)
def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "levenshtein_less_equal", 3, levenshtein_less_equal, deterministic=True
        )


# --- keeping the vocabulary current ---------------------------------------------------------


def _texts(talk_ids: list[int]) -> dict[int, list[str]]:
    """The search text of these talks, in pieces."""
    texts: dict[int, list[str]] = {}
    rows = Talk.objects.filter(id__in=talk_ids)
    for talk_id, *pieces in rows.values_list("id", "title", "abstract", "event__name"):
        texts[talk_id] = [piece or "" for piece in pieces]
    for talk_id, name in TalkSpeaker.objects.filter(talk_id__in=talk_ids).values_list(
        "talk_id", "speaker__name"
    ):
        texts[talk_id].append(name)
    for talk_id, name in Talk.topics.through.objects.filter(talk_id__in=talk_ids).values_list(
        "talk_id", "topic__name"
    ):
        texts[talk_id].append(name)
    return texts


def _all_talk_ids() -> Iterator[list[int]]:
    last = 0
    while ids := list(
        Talk.objects.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:REFRESH_CHUNK]
    ):
        yield ids
        last = ids[-1]


def refresh_words(talk_ids: Iterable[int] | None = None) -> None:
    """Store the vocabulary words of these talks (None: of every talk); the counts follow
    by trigger. Rows that did not change are not written."""
    if talk_ids is None:
        chunks: Iterable[list[int]] = _all_talk_ids()
    else:
        ids = sorted(set(talk_ids))
        chunks = (ids[i : i + REFRESH_CHUNK] for i in range(0, len(ids), REFRESH_CHUNK))
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    forget_corrections()
    transaction.on_commit(forget_corrections)
    for chunk in chunks:
        texts = _texts(chunk)
        if not texts:
            continue
        rows = [(talk_id, as_json(talk_words(pieces))) for talk_id, pieces in sorted(texts.items())]
        values = ", ".join([f"(%s, %s{cast})"] * len(rows))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO talks_talkwords (talk_id, words) VALUES {values}"
                " ON CONFLICT (talk_id) DO UPDATE SET words = excluded.words"
                " WHERE talks_talkwords.words <> excluded.words",
                [value for row in rows for value in row],
            )


# --- looking up corrections -----------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """A query word to check: folded, and whether it is a prefix still being typed."""

    word: str
    prefix: bool = False


def after(prefix: str) -> str:
    """The least string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def lookup_sql(wanted: list[Wanted]) -> tuple[str, list]:
    """The one statement `corrections` runs: rows of (wanted word's index, kind, word,
    talks), kind 0 the word itself, 1 a candidate, 2 a longer word that it starts."""
    parts, params = [], []
    for i, item in enumerate(wanted):
        word, edits = item.word, allowed_edits(item.word)
        lengths = [n for n in range(len(word) - edits, len(word) + edits + 1) if n in WORD_LENGTHS]
        parts.append(f"SELECT {i}, 0, word, talks FROM talks_searchword WHERE word = %s")
        params.append(word)
        # Levenshtein counts a swap as two edits, so this bound keeps every candidate.
        parts.append(
            f"SELECT {i}, 1, word, talks FROM talks_searchword"
            f" WHERE length(word) IN ({', '.join(['%s'] * len(lengths))})"
            " AND word >= %s AND word < %s AND levenshtein_less_equal(word, %s, %s) <= %s"
        )
        params += [*lengths, word[0], after(word[0]), word, 2 * edits, 2 * edits]
        if item.prefix:
            parts.append(
                f"SELECT * FROM (SELECT {i}, 2, word, talks FROM talks_searchword"
                " WHERE word > %s AND word < %s LIMIT 1) AS longer"
            )
            params += [word, after(word)]
    return " UNION ALL ".join(parts), params


class _Remembered:
    """Corrections looked up lately, by wanted word, for SEARCH_CORRECTIONS_SECONDS: a
    search asked again (each page of it, every visitor of a popular one, the same words
    retyped) is answered without reading the vocabulary again. This process's writes
    forget them all (`refresh_words`); another process's writes reach them within that
    time, as they reach public answers within GRAPHQL_CACHE_MAX_AGE. A few thousand
    words at most, the least recently used forgotten first."""

    SIZE = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, bool], tuple[float, tuple[str, ...]]] = OrderedDict()

    def get(self, item: Wanted) -> tuple[str, ...] | None:
        key = (item.word, item.prefix)
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or kept[0] <= time.monotonic():
                return None
            self._kept.move_to_end(key)
            return kept[1]

    def put(self, item: Wanted, words: tuple[str, ...]) -> None:
        seconds = settings.SEARCH_CORRECTIONS_SECONDS
        if seconds <= 0:
            return
        with self._lock:
            self._kept[(item.word, item.prefix)] = (time.monotonic() + seconds, words)
            self._kept.move_to_end((item.word, item.prefix))
            while len(self._kept) > self.SIZE:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


_remembered = _Remembered()


def forget_corrections() -> None:
    """Look every word up afresh: the vocabulary changed."""
    _remembered.clear()


def corrections(wanted: list[Wanted]) -> list[tuple[str, ...]]:
    """For each wanted word (`allowed_edits` > 0), the catalogue words it may have meant
    (none: take it as typed): remembered, or looked up in one statement."""
    answers = [_remembered.get(item) for item in wanted]
    unknown = [item for item, answer in zip(wanted, answers, strict=True) if answer is None]
    if not unknown:
        return answers
    found: list[dict[int, dict[str, int]]] = [{0: {}, 1: {}, 2: {}} for _ in unknown]
    with connection.cursor() as cursor:
        cursor.execute(*lookup_sql(unknown))
        for i, kind, word, talks in cursor.fetchall():
            found[i][kind][word] = talks
    looked_up = [_best(item, found[i]) for i, item in enumerate(unknown)]
    for item, words in zip(unknown, looked_up, strict=True):
        _remembered.put(item, words)
    fresh = iter(looked_up)
    return [next(fresh) if answer is None else answer for answer in answers]


def _best(item: Wanted, found: dict[int, dict[str, int]]) -> tuple[str, ...]:
    if item.prefix and found[2]:
        return ()  # longer words start with it: the prefix finds them
    typed = found[0].get(item.word, 0)
    edits = allowed_edits(item.word)
    near = []
    for word, talks in found[1].items():
        if word != item.word and talks > 0 and talks >= CORRECTION_RATIO * typed:
            distance = edit_distance(item.word, word)
            if distance <= edits:
                near.append((distance, -talks, word))
    nearest = min(near, default=(0,))[0]  # words one edit away, if any, before two
    return tuple(
        word for distance, _, word in sorted(near)[:MAX_CORRECTIONS] if distance == nearest
    )
