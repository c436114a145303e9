"""Full-text search over talks and fuzzy name search, on PostgreSQL and on SQLite.

PostgreSQL: a GIN-indexed `talks_talk.search_vector` (title A; speaker and topic names B;
abstract and event name D), unaccented. Titles and names are indexed in the `simple`
configuration (no stemming, so non-English words stay intact) and in `english`
(stemmed); abstracts, most of the text, in `english` only. Queries use
`websearch_to_tsquery` semantics ("phrases", -excluded, or) with the last word as a
prefix, ranked by `ts_rank_cd`. Names match by pg_trgm word similarity.

SQLite: an FTS5 table with the same three columns (porter stemming, diacritics removed),
ranked by bm25; names match by the same trigram word similarity, computed in Python.

Typos are forgiven (`talks.vocabulary` has the rule): a query word that may be misspelt
also matches the catalogue words it may have meant, and a talk that matches the words as
typed ranks above every talk that matches only through a correction.

Search text and the vocabulary are refreshed by `refresh_talk_search`, which the services
and the importer call after every write that changes a talk's title, abstract, event,
speakers or topics, or the name of a speaker, topic or event.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from talks import vocabulary
from talks.models import Event, Speaker, Talk, TalkSpeaker, Topic

MAX_QUERY_LENGTH = 256  # characters of search text considered; the rest is ignored
# Catalogue words a word still being typed stands for in a large search's title
# candidates: Elasticsearch's default `max_expansions`.
PREFIX_EXPANSIONS = 50
NAME_SIMILARITY = 0.6  # word similarity a name needs: pg_trgm's default for its <% operator
STRONG_NAME_MATCH = 0.75  # names this similar come before talks in `search`

EMPTY_QUERY = "Search text must contain at least one letter or digit."
# What API clients are told of the two kinds of search.
TALK_SEARCH = (
    'Full text: words, "quoted phrases", -excluded words and `or`; the last word may be '
    "cut short, and a typo in a word of 5 or more letters is forgiven (below the talks "
    "that match as typed). Results come best first unless `orderBy` says otherwise."
)
NAME_SEARCH = "Names like this, misspellings included; best first."

FTS_TABLE = "talks_talk_fts"
WORD = re.compile(r"\w+", re.UNICODE)


class EmptySearch(ValueError):
    pass


# --- parsing the user's text (websearch syntax) -----------------------------------------


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a "quoted phrase"
    negated: bool = False
    or_before: bool = False  # joined to the previous term by `or`
    prefix: bool = False  # the last word, still being typed
    quoted: bool = False
    corrections: tuple[str, ...] = ()  # catalogue words a misspelt word may have meant


def parse(text: str) -> list[Term]:
    """The terms of websearch-style text; EmptySearch if it has no words at all."""
    text = (text or "")[:MAX_QUERY_LENGTH]
    terms: list[Term] = []
    pending_or = False
    for match in re.finditer(r'(-?)"([^"]*)"?|(\S+)', text):
        negated, phrase, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or" and terms:
                pending_or = True
                continue
            negated = bare.startswith("-")
            words = tuple(WORD.findall(bare))
        else:
            words = tuple(WORD.findall(phrase))
        if words:
            quoted = bare is None
            terms.append(Term(words, negated=negated, or_before=pending_or, quoted=quoted))
            pending_or = False
    if not any(not t.negated for t in terms):
        raise EmptySearch(EMPTY_QUERY)
    last = terms[-1]
    ends_in_word = not text.endswith((" ", '"'))
    if ends_in_word and not last.negated and len(last.words) == 1 and text.split()[-1][0] != '"':
        terms[-1] = Term(last.words, or_before=last.or_before, prefix=True)
    return terms


def corrected(terms: list[Term]) -> list[Term]:
    """The terms, with corrections for each bare word that may hold a typo (one lookup)."""
    positions, wanted = [], []
    for i, term in enumerate(terms):
        word = vocabulary.fold(term.words[0])
        bare = len(term.words) == 1 and not (term.negated or term.quoted)
        if bare and vocabulary.allowed_edits(word):
            positions.append(i)
            wanted.append(vocabulary.Wanted(word, prefix=term.prefix))
    if not wanted:
        return terms
    terms = list(terms)
    for i, words in zip(positions, vocabulary.corrections(wanted), strict=True):
        terms[i] = replace(terms[i], corrections=words)
    return terms


# --- PostgreSQL ---------------------------------------------------------------------------

# A talk's search vector from its title, the names of its speakers (in billing order)
# and topics, and the rest of its text (abstract and event name): SQL expressions for
# each go in the braces. Abstracts are long and most of the text: they get the
# `english` configuration only, which halves the work of building the vector; titles
# and names, where exact non-English words matter most, get both. The refresh below and
# the importer's load of new talks (`talks.bulk_load`) both build vectors with it.
PG_VECTOR = """
    setweight(to_tsvector('simple', unaccent({title})), 'A')
    || setweight(to_tsvector('english', unaccent({title})), 'A')
    || setweight(to_tsvector('simple', unaccent({names})), 'B')
    || setweight(to_tsvector('english', unaccent({names})), 'B')
    || setweight(to_tsvector('english', unaccent({rest})), 'D')"""

PG_REFRESH = f"""
UPDATE talks_talk t SET search_vector = (
    SELECT {PG_VECTOR.format(title="t.title", names="n.names", rest="t.abstract || ' ' || e.name")}
    FROM talks_event e
    -- Names by primary key, one lookup a link: a plan that no statistics can spoil
    -- (mid-import, stale statistics once made this a hash join over all speakers a talk).
    CROSS JOIN LATERAL (SELECT concat_ws(' ',
        (SELECT string_agg((SELECT s.name FROM talks_speaker s WHERE s.id = ts.speaker_id),
                           ' ' ORDER BY ts.position)
           FROM talks_talkspeaker ts WHERE ts.talk_id = t.id),
        (SELECT string_agg((SELECT p.name FROM talks_topic p WHERE p.id = tt.topic_id),
                           ' ' ORDER BY tt.id)
           FROM talks_talk_topics tt WHERE tt.talk_id = t.id)) AS names) n
    WHERE e.id = t.event_id)
{{where}}
"""


def pg_names(speakers: Iterable[str], topics: Iterable[str]) -> str:
    """The names part of a talk's search text, as PG_REFRESH joins them: speakers in
    billing order, then topics in the order they were linked."""
    return " ".join(part for part in (" ".join(speakers), " ".join(topics)) if part)


def _pg_prefix(word: str, config: str, params: list, *, expand: bool) -> str:
    """The tsquery of a word still being typed, its parameters added to `params`:
    a prefix, or with `expand` the word and the commonest catalogue words it starts."""
    # Only \w characters reach here, so quoting the word is safe.
    # A lone halfwidth sound mark folds to nothing: it stays a prefix.
    if not expand or not (folded := vocabulary.fold(word)):
        params.append(f"'{word}':*")
        return f"to_tsquery('{config}', talks_unaccent(%s))"
    params += [f"'{word}'", folded, vocabulary.after(folded), PREFIX_EXPANSIONS]
    return f"(to_tsquery('{config}', talks_unaccent(%s)) || talks_prefix_words(%s, %s, %s))"


def _pg_tsquery(terms: list[Term], *, fuzzy: bool, expand: bool = False) -> tuple[str, list]:
    """A tsquery expression and its parameters, for both configurations OR-ed; a
    constant to the planner (see migration 0006). `fuzzy`: with the corrections.
    `expand`: words still being typed as `_pg_prefix` expands them (migration 0016)."""
    parts, params = [], []
    for config in ("simple", "english"):  # the abstract has only "english" lexemes
        expression = ""
        for term in terms:
            if term.prefix:
                piece = _pg_prefix(term.words[0], config, params, expand=expand)
            else:
                text = " ".join(term.words)
                text = f'"{text}"' if len(term.words) > 1 else text
                piece = f"websearch_to_tsquery('{config}', talks_unaccent(%s))"
                params.append(f"-{text}" if term.negated else text)
            if fuzzy and term.corrections:
                if term.prefix:
                    also = [_pg_prefix(w, config, params, expand=expand) for w in term.corrections]
                else:
                    also = [f"websearch_to_tsquery('{config}', talks_unaccent(%s))"] * len(
                        term.corrections
                    )
                    params += term.corrections
                piece = f"({' || '.join([piece, *also])})"
            joiner = " || " if term.or_before else " && "
            expression = piece if not expression else f"({expression}){joiner}{piece}"
        parts.append(f"({expression})")
    return f"talks_either({', '.join(parts)})", params


# --- SQLite FTS5 --------------------------------------------------------------------------


def _fts_query(terms: list[Term], *, fuzzy: bool) -> str:
    """An FTS5 MATCH expression in which every user word is a quoted string. `fuzzy`:
    with the corrections."""

    def quoted(term: Term) -> str:
        text = '"' + " ".join(w.replace('"', '""') for w in term.words) + '"'
        return text + "*" if term.prefix else text

    expression = ""
    for term in terms:
        if term.negated:
            continue
        piece = quoted(term)
        if fuzzy and term.corrections:
            star = "*" if term.prefix else ""
            also = [f'"{word}"{star}' for word in term.corrections]
            piece = "(" + " OR ".join([piece, *also]) + ")"
        joiner = " OR " if term.or_before else " AND "
        expression = piece if not expression else f"({expression}){joiner}{piece}"
    for term in terms:
        if term.negated:
            expression = f"({expression}) NOT {quoted(term)}"
    return expression


# --- the API used by selectors --------------------------------------------------------------


@dataclass(frozen=True)
class TalkMatch:
    """SQL for "this talk matches" and for its rank (higher is better), each with its
    parameters; the SQL refers to the talk table as `talks_talk`."""

    condition: str
    condition_params: list
    rank: str
    rank_params: list
    terms: list[Term]
    tsquery: str = ""  # PostgreSQL: the query the condition matches, and its parameters
    tsquery_params: tuple = ()
    # PostgreSQL: the query a large search's title candidates match, and its parameters
    candidates: str = ""
    candidates_params: tuple = ()

    @property
    def fuzzy(self) -> bool:
        return any(term.corrections for term in self.terms)

    def as_typed(self, rank: float) -> bool:
        """Whether a talk of this rank matches the words as typed, not through a correction."""
        return not self.fuzzy or rank >= 1


def talk_match(text: str) -> TalkMatch:
    """How talks match `text`, typos forgiven. Looks the words up in the vocabulary (one
    statement) when one of them may be misspelt; build it once per search."""
    terms = corrected(parse(text))
    fuzzy = any(term.corrections for term in terms)  # then exact matches rank from 1 up
    if connection.vendor == "postgresql":
        vector = '"talks_talk"."search_vector"'
        exact, exact_params = _pg_tsquery(terms, fuzzy=False)
        query, params = _pg_tsquery(terms, fuzzy=True) if fuzzy else (exact, exact_params)
        rank, rank_params = f"ts_rank_cd({vector}, {exact}, 32)", exact_params
        if fuzzy:  # ts_rank_cd with normalization 32 is in [0, 1)
            rank = (
                f"CASE WHEN {vector} @@ {exact} THEN 1 + {rank}"
                f" ELSE ts_rank_cd({vector}, {query}, 32) END"
            )
            rank_params = [*exact_params, *exact_params, *params]
        candidates, candidates_params = (
            _pg_tsquery(terms, fuzzy=fuzzy, expand=True)
            if any(term.prefix for term in terms)
            else (query, params)
        )
        return TalkMatch(
            f"{vector} @@ {query}",
            params,
            rank,
            rank_params,
            terms,
            query,
            tuple(params),
            candidates,
            tuple(candidates_params),
        )
    exact = _fts_query(terms, fuzzy=False)
    query = _fts_query(terms, fuzzy=True) if fuzzy else exact
    condition = f'"talks_talk"."id" IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)'
    bm25 = (
        f"SELECT -bm25({FTS_TABLE}, 10.0, 5.0, 1.0) AS r FROM {FTS_TABLE} "
        f'WHERE {FTS_TABLE} MATCH %s AND rowid = "talks_talk"."id"'
    )
    if not fuzzy:
        return TalkMatch(condition, [query], f"({bm25})", [exact], terms)
    # -bm25 is at least 0, so r / (1 + r) is in [0, 1): exact matches rank from 1 up.
    rank = f"COALESCE((SELECT 1 + r / (1 + r) FROM ({bm25})), (SELECT r / (1 + r) FROM ({bm25})))"
    return TalkMatch(condition, [query], rank, [exact, query], terms)


def name_match(text: str, column: str) -> tuple[str, str, list]:
    """SQL for "this name is like the text" and for its similarity, with parameters."""
    words = " ".join(w for term in parse(text) if not term.negated for w in term.words)
    similarity = f"word_similarity(%s, {column})"
    if connection.vendor == "postgresql":
        # The operator form can use the trigram index; the threshold is NAME_SIMILARITY.
        return f"%s <%% {column}", similarity, [words]
    return f"{similarity} >= {NAME_SIMILARITY}", similarity, [words]


def refresh_talk_search(talk_ids: Iterable[int] | None = None) -> None:
    """Recompute the search text and the vocabulary words of these talks (None: of every
    talk)."""
    ids = None if talk_ids is None else sorted(set(talk_ids))
    if ids == []:
        return
    refresh_search_text(ids)
    vocabulary.refresh_words(ids)


def refresh_search_text(ids: list[int] | None) -> None:
    """Only the search text of these talks (None: of every talk); migration 0003 runs
    this, before the vocabulary exists."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            where, params = ("", []) if ids is None else ("WHERE t.id = ANY(%s)", [ids])
            cursor.execute(PG_REFRESH.format(where=where), params)
            return
        placeholders = ", ".join(["%s"] * len(ids)) if ids is not None else ""
        where = "" if ids is None else f"WHERE t.id IN ({placeholders})"
        params = [] if ids is None else ids
        delete_where = "" if ids is None else f" WHERE rowid IN ({placeholders})"
        cursor.execute(f"DELETE FROM {FTS_TABLE}{delete_where}", params)
        cursor.execute(
            f"""INSERT INTO {FTS_TABLE} (rowid, title, names, abstract)
                SELECT t.id, t.title,
                  coalesce((SELECT group_concat(s.name, ' ') FROM talks_talkspeaker ts
                     JOIN talks_speaker s ON s.id = ts.speaker_id WHERE ts.talk_id = t.id), '')
                  || ' ' ||
                  coalesce((SELECT group_concat(p.name, ' ') FROM talks_talk_topics tt
                     JOIN talks_topic p ON p.id = tt.topic_id WHERE tt.talk_id = t.id), ''),
                  t.abstract || ' ' || e.name
                FROM talks_talk t JOIN talks_event e ON e.id = t.event_id {where}""",
            params,
        )


# How talks refer to what else their search text holds the name of: (links, column, talk).
_NAMED_BY = {
    Speaker: (TalkSpeaker, "speaker_id", "talk_id"),
    Topic: (Talk.topics.through, "topic_id", "talk_id"),
    Event: (Talk, "event_id", "id"),
}


def talks_naming(model: type, ids: Iterable[int]) -> list[int]:
    """Ids of the talks whose search text holds the names of these speakers, topics or
    events (`model`)."""
    links, column, talk = _NAMED_BY[model]
    rows = links.objects.filter(**{f"{column}__in": list(ids)}).values_list(talk, flat=True)
    return sorted(set(rows))


# --- trigram word similarity for SQLite, as pg_trgm computes it ------------------------------


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def word_similarity(query: str | None, text: str | None) -> float:
    """pg_trgm's word_similarity: how well `query` matches some extent of `text`'s words."""
    if not query or not text:
        return 0.0
    query_words = WORD.findall(query.lower())
    text_words = WORD.findall(text.lower())
    wanted = set().union(*(_trigrams(w) for w in query_words)) if query_words else set()
    if not wanted or not text_words:
        return 0.0
    best = 0.0
    for start in range(len(text_words)):
        have: set[str] = set()
        for end in range(start, len(text_words)):
            have |= _trigrams(text_words[end])
            best = max(best, len(wanted & have) / len(wanted))
    return best


@receiver(connection_created)
def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "word_similarity", 2, word_similarity, deterministic=True
        )
