"""Tables the database keeps for the catalogue's readers: its version, row counts and
the search vocabulary."""

from django.db import models
from django.db.models import F
from django.db.models.functions import Length


class CatalogueVersion(models.Model):
    """One row: a number that every write to talks, speakers, events, topics or their links
    moves on, whoever writes (database triggers, migration 0010). Public answers are
    cached under it, so a write makes them all stale at once."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    version = models.BigIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"catalogue version {self.version}"


class SearchWord(models.Model):
    """A word of the catalogue's search text and how many talks have it: what a misspelt
    query word is corrected to (`talks.vocabulary`). Database triggers on `TalkWords`
    keep the counts (migration 0011)."""

    word = models.CharField(max_length=40, primary_key=True)
    talks = models.IntegerField(help_text="How many talks' search text has the word.")

    class Meta:
        # Candidates for a typo: words of a few lengths that start with a given letter,
        # read from the index alone.
        indexes = [
            models.Index(Length("word"), F("word"), F("talks"), name="searchword_length_word")
        ]

    def __str__(self) -> str:
        return f"{self.word} ({self.talks} talks)"


class TalkWords(models.Model):
    """The words a talk's search text gave the vocabulary, sorted, so that a refresh knows
    which words the talk no longer has."""

    talk = models.OneToOneField(
        "talks.Talk", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    words = models.JSONField(default=list)

    class Meta:
        verbose_name_plural = "talk words"

    def __str__(self) -> str:
        return f"words of talk {self.talk_id}"


class RowCount(models.Model):
    """How many rows a catalogue table has, kept exact by database triggers (migration
    0012), so that a list's total over the whole catalogue is one indexed read instead of
    counting every row."""

    table = models.CharField(max_length=63, primary_key=True)
    rows = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.table}: {self.rows} rows"
