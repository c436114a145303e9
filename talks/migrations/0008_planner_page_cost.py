"""Tell PostgreSQL's planner that a random page read costs about what a sequential one does.

The default `random_page_cost = 4` describes spinning disks. On SSDs, or with the catalogue
in memory, it makes the planner read the whole talk table rather than fetch the pages a
search's index points to: at 100,000 talks, "pandas or numpy" (10,054 matches, 8,000 of
21,000 pages) took 408 ms as a sequential scan against 113 ms from the GIN index with
1.1, the value commonly advised for SSDs. A database setting, so it reaches every
connection, PgBouncer's included; new sessions see it.

Setting it needs the database's owner. A role that does not own it gets a notice
instead of a failed migration; its owner can run the same statement (README).
"""

from django.db import migrations

SET = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET random_page_cost = {value}', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'random_page_cost not set: only the owner of % may', current_database();
END
$$
"""


def page_cost(value: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(SET.replace("{value}", value), params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("talks", "0007_search_vector_inline")]
    operations = [migrations.RunPython(page_cost("1.1"), page_cost("DEFAULT"))]
