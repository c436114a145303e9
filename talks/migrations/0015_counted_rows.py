"""`talks_counted`: how many rows a query returns, exact up to a cap and estimated above
it, in one statement (PostgreSQL).

`talks.selectors.counted` counts a filtered list up to 10,000 rows and takes the
planner's estimate above that. That was two statements for a large list, and a search
now also asks the planner first (a search it expects to match far more than the cap is
not counted at all): one function keeps it to one statement whatever the answer.
`query` is SQL that the caller built with the ORM and quoted with the driver.
"""

from django.db import migrations

POSTGRES = [
    """CREATE FUNCTION talks_counted(query text, cap bigint, trust_estimate_above bigint,
                                     OUT rows bigint, OUT exact boolean)
       LANGUAGE plpgsql AS $$  -- volatile: EXPLAIN is refused in a STABLE function
       DECLARE
         plan json;
         estimate bigint;
       BEGIN
         IF trust_estimate_above IS NOT NULL THEN
           EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
           estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
           IF estimate > trust_estimate_above THEN
             rows := estimate;
             exact := false;
             RETURN;
           END IF;
         END IF;
         EXECUTE format('SELECT count(*) FROM (%s LIMIT %s) AS capped', query, cap + 1)
           INTO rows;
         exact := rows <= cap;
         IF NOT exact THEN
           IF estimate IS NULL THEN
             EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
             estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
           END IF;
           rows := greatest(rows, estimate);
         END IF;
       END $$""",
]
POSTGRES_BACK = ["DROP FUNCTION IF EXISTS talks_counted(text, bigint, bigint)"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement, params=None)  # its %s are format()'s


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACK:
            schema_editor.execute(statement, params=None)  # its %s are format()'s


class Migration(migrations.Migration):
    dependencies = [("talks", "0014_title_vector_cost")]
    operations = [migrations.RunPython(forwards, backwards)]
