"""An index of the words of talk titles alone (PostgreSQL), for searches that match more
talks than are worth ranking one by one: their first pages rank the talks with the words
in the title, and the newest matches (`talks.selectors.page`).

`talks_title_vector` builds the title's lexemes as the search vector does (both
configurations, unaccented); an index on an expression needs an IMMUTABLE function.
"""

from django.db import migrations

POSTGRES = [
    """CREATE FUNCTION talks_title_vector(text) RETURNS tsvector
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT to_tsvector('simple', talks_unaccent($1))
                    || to_tsvector('english', talks_unaccent($1)) $$""",
    "CREATE INDEX talk_title_search ON talks_talk USING gin (talks_title_vector(title))",
]
POSTGRES_BACK = [
    "DROP INDEX IF EXISTS talk_title_search",
    "DROP FUNCTION IF EXISTS talks_title_vector(text)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACK:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("talks", "0012_row_counts")]
    operations = [migrations.RunPython(forwards, backwards)]
