"""Search queries that PostgreSQL builds once per statement, not once per row.

`unaccent()` is STABLE, so a tsquery built from it was not folded into a constant: the
ranking and the recheck of every matching row parsed the user's text again (half the
time of a page). `talks_unaccent` declares the same function IMMUTABLE (its dictionary
is fixed for this database), so the planner computes the whole tsquery once, and its
row estimates see the real query.

`talks_either` ORs the `simple` and `english` forms of a query only when they differ:
ranking a talk against `'python':* | 'python':*` cost three times `'python':*`.
"""

from django.db import migrations

# Qualified by the extension's schema: an IMMUTABLE function must not depend on the
# caller's search_path.
POSTGRES = [
    """CREATE FUNCTION talks_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$""",
    """CREATE FUNCTION talks_either(tsquery, tsquery) RETURNS tsquery
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT CASE WHEN $1 = $2 THEN $1 ELSE $1 || $2 END $$""",
]
POSTGRES_BACK = [
    "DROP FUNCTION IF EXISTS talks_either(tsquery, tsquery)",
    "DROP FUNCTION IF EXISTS talks_unaccent(text)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(n.nspname) FROM pg_extension e"
            " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
        )
        (schema,) = cursor.fetchone()
    for statement in POSTGRES:
        schema_editor.execute(statement.replace("{schema}", schema))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACK:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("talks", "0005_talkspeaker_recorded_on")]
    operations = [migrations.RunPython(forwards, backwards)]
