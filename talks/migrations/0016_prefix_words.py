"""`talks_prefix_words`: the catalogue's words that a word still being typed starts, as
a tsquery, for the title candidates of a large search (`talks.selectors.page`).

A prefix (`'async':*`) in a GIN index is a partial match: PostgreSQL gathers the
postings of every lexeme it starts into a bitmap of its own before the scan's bitmap.
At 1,000,000 talks the title index took 10 ms that way for `async` (25,117 titles) and
5 ms for the same titles as `'async' | 'asyncio' | 'asynci'`. So, as Elasticsearch
expands a prefix to at most `max_expansions` terms, a large search's title candidates
look for the most common vocabulary words (`talks_searchword`) that the prefix starts,
at most `up_to` of them, `after` being the least string past them. With no such word it
is the prefix itself. The search's own condition and rank still use the prefix.
"""

from django.db import migrations

POSTGRES = [
    """CREATE FUNCTION talks_prefix_words(prefix text, after text, up_to integer)
       RETURNS tsquery
       LANGUAGE sql STABLE PARALLEL SAFE
       AS $$ SELECT CASE WHEN count(*) = 0 THEN (quote_literal(prefix) || ':*')::tsquery
                         ELSE string_agg(quote_literal(word), ' | ')::tsquery END
             FROM (SELECT word FROM talks_searchword
                   WHERE word > prefix AND word < after AND talks > 0
                   ORDER BY talks DESC, word LIMIT up_to) AS longer $$""",
]
POSTGRES_BACK = ["DROP FUNCTION IF EXISTS talks_prefix_words(text, text, integer)"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACK:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("talks", "0015_counted_rows")]
    operations = [migrations.RunPython(forwards, backwards)]
