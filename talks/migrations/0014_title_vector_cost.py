"""`talks_title_vector` as a function the planner cannot see through, with its real cost,
and `talks_title_matches`, the title candidates of a large search.

As an SQL function it was inlined into `to_tsvector(...) || to_tsvector(...)`, which the
planner costs like a few comparisons: for the title candidates of a large search
(`talks.selectors.page`) it then preferred to walk the title index and compute every
title's vector until it had enough matches. At 1,000,000 talks, `learn` took 750 ms that
way and 190 ms through the title index (migration 0013) once the function is declared
as costly as it is (about 10 µs a title). The function gives the same vectors, so the
index stays as it is.

`talks_title_matches(query, up_to)` is the first `up_to` talks, in the table's order,
with the query's words in their title. Not in parallel: workers hand rows back in
whatever order they find them, and the same search then ranked other candidates from
one request to the next, so that pages of it could repeat or skip talks.
"""

from django.db import migrations

TITLE_VECTOR = """
CREATE OR REPLACE FUNCTION talks_title_vector(text) RETURNS tsvector
    LANGUAGE {language} IMMUTABLE STRICT PARALLEL SAFE {cost}
    AS $$ {body} $$"""
EXPRESSION = (
    "to_tsvector('simple', talks_unaccent($1)) || to_tsvector('english', talks_unaccent($1))"
)
TITLE_MATCHES = """
CREATE FUNCTION talks_title_matches(query tsquery, up_to integer) RETURNS SETOF integer
    LANGUAGE sql STABLE ROWS 1000 SET max_parallel_workers_per_gather = 0
    AS $$ SELECT id FROM talks_talk WHERE talks_title_vector(title) @@ query LIMIT up_to $$"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        body = f"BEGIN RETURN {EXPRESSION}; END"
        schema_editor.execute(TITLE_VECTOR.format(language="plpgsql", cost="COST 1000", body=body))
        schema_editor.execute(TITLE_MATCHES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS talks_title_matches(tsquery, integer)")
        body = f"SELECT {EXPRESSION}"
        schema_editor.execute(TITLE_VECTOR.format(language="sql", cost="", body=body))


class Migration(migrations.Migration):
    dependencies = [("talks", "0013_title_search_index")]
    operations = [migrations.RunPython(forwards, backwards)]
