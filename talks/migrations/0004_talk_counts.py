"""Talk counts on speakers and topics, kept exact by database triggers.

Ordering speakers by how many talks they gave, and counting the talks of hundreds of
topics, aggregated the whole link table on every request (a sequential scan of 400,000
rows at 200,000 talks). The counts now live on the rows, indexed for that ordering.

Triggers on the link tables keep them exact in every transaction, whoever writes the
links. Django writes every column when it saves a speaker or topic, so a save would put
back whatever count the instance held when it was loaded; another trigger replaces any
count written from outside a trigger with the true one.
"""

from django.db import migrations, models

COUNTED = [  # (counted table, link table, link column)
    ("talks_speaker", "talks_talkspeaker", "speaker_id"),
    ("talks_topic", "talks_talk_topics", "topic_id"),
]


def _backfill(table: str, links: str, column: str) -> str:
    return (
        f"UPDATE {table} SET talk_count = "
        f"(SELECT COUNT(*) FROM {links} l WHERE l.{column} = {table}.id)"
    )


def _postgres(table: str, links: str, column: str) -> list[str]:
    name = table.removeprefix("talks_")
    # Rows are locked in id order first, so that two transactions adding links for the
    # same speakers wait for each other instead of deadlocking.
    change = (
        "PERFORM 1 FROM {table} WHERE id IN (SELECT {column} FROM {rows}) ORDER BY id FOR UPDATE;"
        " UPDATE {table} c SET talk_count = c.talk_count {sign} d.n"
        " FROM (SELECT {column} AS id, COUNT(*) AS n FROM {rows} GROUP BY 1) d"
        " WHERE c.id = d.id;"
    )
    removed = change.format(table=table, column=column, rows="old_links", sign="-")
    added = change.format(table=table, column=column, rows="new_links", sign="+")
    return [
        f"""CREATE FUNCTION {name}_count_links() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'UPDATE') THEN {removed} END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN {added} END IF;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {name}_count_insert AFTER INSERT ON {links} "
        f"REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {name}_count_links()",
        f"CREATE TRIGGER {name}_count_delete AFTER DELETE ON {links} "
        f"REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {name}_count_links()",
        f"CREATE TRIGGER {name}_count_update AFTER UPDATE ON {links} "
        f"REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {name}_count_links()",
        f"""CREATE FUNCTION {name}_count_exact() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.talk_count := (SELECT COUNT(*) FROM {links} WHERE {column} = NEW.id);
            RETURN NEW;
        END $$""",
        f"CREATE TRIGGER {name}_count_exact BEFORE UPDATE OF talk_count ON {table} "
        f"FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION {name}_count_exact()",
        _backfill(table, links, column),
    ]


def _postgres_back(table: str, links: str, column: str) -> list[str]:
    name = table.removeprefix("talks_")
    return [
        f"DROP TRIGGER IF EXISTS {name}_count_exact ON {table}",
        *(
            f"DROP TRIGGER IF EXISTS {name}_count_{op} ON {links}"
            for op in ("insert", "delete", "update")
        ),
        f"DROP FUNCTION IF EXISTS {name}_count_exact()",
        f"DROP FUNCTION IF EXISTS {name}_count_links()",
    ]


def _sqlite(table: str, links: str, column: str) -> list[str]:
    name = table.removeprefix("talks_")

    def recount(row: str) -> str:
        return (
            f"UPDATE {table} SET talk_count = "
            f"(SELECT COUNT(*) FROM {links} WHERE {column} = {row}.{column}) "
            f"WHERE id = {row}.{column};"
        )

    return [
        f"CREATE TRIGGER {name}_count_insert AFTER INSERT ON {links} BEGIN {recount('NEW')} END",
        f"CREATE TRIGGER {name}_count_delete AFTER DELETE ON {links} BEGIN {recount('OLD')} END",
        f"CREATE TRIGGER {name}_count_update AFTER UPDATE OF {column} ON {links} "
        f"BEGIN {recount('OLD')} {recount('NEW')} END",
        # SQLite does not let a trigger run itself again, so this one's own UPDATE stops.
        f"CREATE TRIGGER {name}_count_exact AFTER UPDATE OF talk_count ON {table} "
        f"BEGIN UPDATE {table} SET talk_count = "
        f"(SELECT COUNT(*) FROM {links} WHERE {column} = NEW.id) WHERE id = NEW.id; END",
        _backfill(table, links, column),
    ]


def _sqlite_back(table: str, links: str, column: str) -> list[str]:
    name = table.removeprefix("talks_")
    return [
        f"DROP TRIGGER IF EXISTS {name}_count_exact",
        *(f"DROP TRIGGER IF EXISTS {name}_count_{op}" for op in ("insert", "delete", "update")),
    ]


def forwards(apps, schema_editor):
    build = {"postgresql": _postgres, "sqlite": _sqlite}[schema_editor.connection.vendor]
    for counted in COUNTED:
        for statement in build(*counted):
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    build = {"postgresql": _postgres_back, "sqlite": _sqlite_back}[schema_editor.connection.vendor]
    for counted in COUNTED:
        for statement in build(*counted):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("talks", "0003_search")]

    operations = [
        migrations.AddField(
            model_name="speaker",
            name="talk_count",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="How many talks the speaker gave; kept by the database.",
            ),
        ),
        migrations.AddField(
            model_name="topic",
            name="talk_count",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="How many talks have this topic; kept by the database.",
            ),
        ),
        migrations.AddIndex(
            model_name="speaker",
            index=models.Index(fields=["-talk_count", "name", "id"], name="speaker_talk_count"),
        ),
        migrations.AddIndex(
            model_name="topic",
            index=models.Index(fields=["-talk_count", "name", "id"], name="topic_talk_count"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
