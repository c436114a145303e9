"""Versions of talks, speakers, events and topics, kept by triggers; API tokens narrowed
to some of their user's permissions; idempotency keys of creates.

Every write raises an object's `version`, whoever makes it (services, the admin, the
importer, raw SQL): a change of any of its own columns (`VERSIONED`), or of a talk's
links to its speakers and topics. A write can never store a version of its own: the
row's version goes on from the stored one (a save of an object read before another
writer changed it keeps the other writer's raise), but for a raise of exactly one,
which is how a link change raises its talk's. Columns the database keeps (talk counts,
search vectors) do not raise it. A transaction that changes several of these raises
the version by as many; it only grows, and clients compare it, never count with it.

The column is added with its default in the database (PostgreSQL: without rewriting the
table; SQLite: without remaking it, which would drop its triggers).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


VERSIONED = {
    "talks_talk": [
        "slug", "title", "abstract", "kind", "level", "language", "recorded_on",
        "duration_minutes", "video_url", "slides_url", "event_id",
    ],
    "talks_speaker": ["slug", "name", "bio", "affiliation", "website", "twitter", "github"],
    "talks_event": [
        "slug", "name", "kind", "starts_on", "ends_on", "city", "country", "url", "description",
    ],
    "talks_topic": ["slug", "name", "description"],
}
# The link tables whose rows are part of a talk, and the columns that make them so.
LINKS = {"talks_talkspeaker": ["talk_id", "speaker_id", "position"], "talks_talk_topics": ["talk_id", "topic_id"]}
MODELS = {"talks_talk": "talk", "talks_speaker": "speaker", "talks_event": "event", "talks_topic": "topic"}


def _postgres(table: str, columns: list[str]) -> list[str]:
    new = ", ".join(f"NEW.{c}" for c in columns)
    old = ", ".join(f"OLD.{c}" for c in columns)
    return [
        f"""CREATE FUNCTION {table}_keep_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF ({new}) IS DISTINCT FROM ({old}) THEN
            NEW.version := OLD.version + 1;
          ELSIF NEW.version IS DISTINCT FROM OLD.version + 1 THEN
            NEW.version := OLD.version;
          END IF;
          RETURN NEW;
        END $$""",
        f"""CREATE TRIGGER {table}_keeps_version BEFORE UPDATE OF {", ".join(columns)}, version
            ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_keep_version()""",
    ]


POSTGRES_LINKS = """
CREATE FUNCTION talks_links_raise_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE talks_talk SET version = version + 1 WHERE id IN (SELECT talk_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE talks_talk SET version = version + 1 WHERE id IN (SELECT talk_id FROM old_rows);
  ELSE
    UPDATE talks_talk SET version = version + 1
    WHERE id IN (SELECT talk_id FROM new_rows UNION SELECT talk_id FROM old_rows);
  END IF;
  RETURN NULL;
END $$
"""


def _postgres_links(table: str, columns: list[str]) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_raises_talk_version_{op.lower()} AFTER {op} ON {table}
            REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION talks_links_raise_version()"""
        for op, transition in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
        )
    ]


def _sqlite(table: str, columns: list[str]) -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    return [
        f"""CREATE TRIGGER {table}_keeps_version AFTER UPDATE OF {", ".join(columns)}, version
            ON {table} WHEN ({changed}) OR NEW.version IS NOT OLD.version + 1 BEGIN
              UPDATE {table} SET version = OLD.version + (CASE WHEN {changed} THEN 1 ELSE 0 END)
              WHERE id = NEW.id;
            END"""
    ]


def _sqlite_links(table: str, columns: list[str]) -> list[str]:
    raise_ = "UPDATE talks_talk SET version = version + 1 WHERE id = {row}.talk_id;"
    return [
        f"""CREATE TRIGGER {table}_raises_talk_version_insert AFTER INSERT ON {table}
            BEGIN {raise_.format(row="NEW")} END""",
        f"""CREATE TRIGGER {table}_raises_talk_version_delete AFTER DELETE ON {table}
            BEGIN {raise_.format(row="OLD")} END""",
        f"""CREATE TRIGGER {table}_raises_talk_version_update AFTER UPDATE OF {", ".join(columns)}
            ON {table} BEGIN {raise_.format(row="OLD")} {raise_.format(row="NEW")} END""",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_LINKS, params=None)
    for table, columns in VERSIONED.items():
        for statement in {"postgresql": _postgres, "sqlite": _sqlite}[vendor](table, columns):
            schema_editor.execute(statement, params=None)
    for table, columns in LINKS.items():
        for statement in {"postgresql": _postgres_links, "sqlite": _sqlite_links}[vendor](
            table, columns
        ):
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in LINKS:
        for op in ("insert", "delete", "update"):
            on = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_raises_talk_version_{op}{on}")
    for table in VERSIONED:
        on = f" ON {table}" if vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_keeps_version{on}")
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_keep_version()")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS talks_links_raise_version()")


VERSION_HELP = (
    "Raised by every change to the object, whoever makes it; starts at 1 and only grows. "
    "Send it back as `ifVersion` to change or delete only what you read."
)


def add_version(table: str) -> migrations.SeparateDatabaseAndState:
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f'ALTER TABLE {table} ADD COLUMN "version" bigint NOT NULL DEFAULT 1'
                ' CHECK ("version" >= 0)',
                f'ALTER TABLE {table} DROP COLUMN "version"',
            )
        ],
        state_operations=[
            migrations.AddField(
                model_name=MODELS[table],
                name="version",
                field=models.PositiveBigIntegerField(
                    default=1, editable=False, help_text=VERSION_HELP
                ),
            )
        ],
    )


class Migration(migrations.Migration):

    dependencies = [
        ('talks', '0017_foreign_keys_indexed_by_composites'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='permissions',
            field=models.JSONField(blank=True, editable=False, help_text='The only permissions the token acts with, as "app.codename" (those its user also has); empty: all of its user\'s.', null=True),
        ),
        add_version("talks_event"),
        add_version("talks_speaker"),
        add_version("talks_talk"),
        add_version("talks_topic"),
        migrations.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=255)),
                ('fingerprint', models.CharField(max_length=64)),
                ('made', models.CharField(max_length=100)),
                ('made_id', models.BigIntegerField()),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='idempotencykey_user_key')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
