"""The schedule: events get a time zone, rooms and tracks; a talk gets a slot.

Rooms and tracks have versions and move the catalogue's version as the other catalogue
tables do (the triggers of migrations 0010 and 0018), and a talk's version is raised by
a change of its slot too.
"""

import importlib

import django.core.validators
import django.db.models.deletion
import talks.models.catalogue
from django.db import migrations, models


versions = importlib.import_module("talks.migrations.0018_versions_permissions_idempotency")
catalogue = importlib.import_module("talks.migrations.0010_catalogue_version_and_persisted_operations")

SLOT = ["starts_at", "ends_at", "room_id", "track_id"]
TALK = versions.VERSIONED["talks_talk"] + SLOT
VERSIONED = {
    "talks_room": ["slug", "name", "capacity", "position", "event_id"],
    "talks_track": ["slug", "name", "color", "event_id"],
}
CHECK = "talk_slot_ends_after_start"


def talk_slot_check(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE talks_talk ADD CONSTRAINT {CHECK} CHECK ("
            "(starts_at IS NULL AND ends_at IS NULL AND room_id IS NULL)"
            " OR (starts_at IS NOT NULL AND ends_at IS NOT NULL AND ends_at > starts_at))"
        )


def talk_slot_check_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE talks_talk DROP CONSTRAINT {CHECK}")


def _drop_version_trigger(schema_editor, table: str) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    schema_editor.execute(
        f"DROP TRIGGER IF EXISTS {table}_keeps_version" + (f" ON {table}" if postgres else "")
    )
    if postgres:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_keep_version()")


def _version_trigger(schema_editor, table: str, columns: list[str]) -> None:
    build = {"postgresql": versions._postgres, "sqlite": versions._sqlite}
    for statement in build[schema_editor.connection.vendor](table, columns):
        schema_editor.execute(statement, params=None)


def _bump_triggers(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "postgresql":
        return [
            f"CREATE TRIGGER {table}_bumps_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()"
            for table in tables
        ]
    return [
        f"CREATE TRIGGER {table}_bumps_version_on_{op.lower()} AFTER {op} ON {table} "
        f"BEGIN {catalogue.bump('sqlite')}; END"
        for table in tables
        for op in ("INSERT", "UPDATE", "DELETE")
    ]


def forwards(apps, schema_editor):
    _drop_version_trigger(schema_editor, "talks_talk")
    _version_trigger(schema_editor, "talks_talk", TALK)
    for table, columns in VERSIONED.items():
        _version_trigger(schema_editor, table, columns)
    for statement in _bump_triggers(schema_editor.connection.vendor, list(VERSIONED)):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for table in VERSIONED:
        _drop_version_trigger(schema_editor, table)
        if postgres:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_version ON {table}")
        else:
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_version_on_{op}")
    _drop_version_trigger(schema_editor, "talks_talk")
    _version_trigger(schema_editor, "talks_talk", versions.VERSIONED["talks_talk"])


class Migration(migrations.Migration):

    dependencies = [
        ('talks', '0018_versions_permissions_idempotency'),
    ]

    operations = [
        migrations.CreateModel(
            name='Room',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='When this record was created.')),
                ('updated_at', models.DateTimeField(auto_now=True, help_text='When this record last changed.')),
                ('version', models.PositiveBigIntegerField(default=1, editable=False, help_text='Raised by every change to the object, whoever makes it; starts at 1 and only grows. Send it back as `ifVersion` to change or delete only what you read.')),
                ('slug', models.SlugField(help_text="Stable, human-readable key; unique among the event's rooms.", max_length=100)),
                ('name', models.CharField(help_text='The room\'s name, e.g. "Hall A".', max_length=200)),
                ('capacity', models.PositiveIntegerField(blank=True, help_text='How many people fit; null if unknown.', null=True)),
                ('position', models.PositiveSmallIntegerField(default=0, help_text="Where the room shows among the event's rooms, from 0.")),
            ],
        ),
        migrations.CreateModel(
            name='Track',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='When this record was created.')),
                ('updated_at', models.DateTimeField(auto_now=True, help_text='When this record last changed.')),
                ('version', models.PositiveBigIntegerField(default=1, editable=False, help_text='Raised by every change to the object, whoever makes it; starts at 1 and only grows. Send it back as `ifVersion` to change or delete only what you read.')),
                ('slug', models.SlugField(help_text="Stable, human-readable key; unique among the event's tracks.", max_length=100)),
                ('name', models.CharField(help_text='The track\'s name, e.g. "Web".', max_length=200)),
                ('color', models.CharField(blank=True, help_text='"#rrggbb"; null if the track has none.', max_length=7, null=True, validators=[django.core.validators.RegexValidator('^#[0-9a-fA-F]{6}$', 'A colour is "#" and six hexadecimal digits, e.g. "#1f77b4".', 'invalid')])),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            # With its default in the database: SQLite adds the column in place rather
            # than remaking the table, which would drop its triggers.
            database_operations=[
                migrations.RunSQL(
                    """ALTER TABLE talks_event ADD COLUMN "timezone" varchar(64) NOT NULL DEFAULT 'UTC'""",
                    'ALTER TABLE talks_event DROP COLUMN "timezone"',
                )
            ],
            state_operations=[
                migrations.AddField(
            model_name='event',
            name='timezone',
            field=models.CharField(default='UTC', help_text='The IANA time zone its days and schedule are in, e.g. "Europe/Berlin".', max_length=64, validators=[talks.models.catalogue.validate_time_zone]),
        ),
            ],
        ),
        migrations.AddField(
            model_name='talk',
            name='ends_at',
            field=models.DateTimeField(blank=True, help_text='When the talk ends.', null=True),
        ),
        migrations.AddField(
            model_name='talk',
            name='starts_at',
            field=models.DateTimeField(blank=True, help_text='When the talk starts.', null=True),
        ),
        migrations.AddField(
            model_name='room',
            name='event',
            field=models.ForeignKey(db_index=False, help_text='The event the room belongs to.', on_delete=django.db.models.deletion.CASCADE, related_name='rooms', to='talks.event'),
        ),
        migrations.AddField(
            model_name='talk',
            name='room',
            field=models.ForeignKey(blank=True, db_index=False, help_text="The room of the talk's slot.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='talks', to='talks.room'),
        ),
        migrations.AddField(
            model_name='track',
            name='event',
            field=models.ForeignKey(db_index=False, help_text='The event the track belongs to.', on_delete=django.db.models.deletion.CASCADE, related_name='tracks', to='talks.event'),
        ),
        migrations.AddField(
            model_name='talk',
            name='track',
            field=models.ForeignKey(blank=True, help_text='The track the talk is in.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='talks', to='talks.track'),
        ),
        migrations.AddIndex(
            model_name='talk',
            index=models.Index(condition=models.Q(('starts_at__isnull', False)), fields=['event', 'starts_at'], name='talk_event_schedule'),
        ),
        migrations.AddIndex(
            model_name='talk',
            index=models.Index(condition=models.Q(('room__isnull', False)), fields=['room', 'starts_at'], name='talk_room_start'),
        ),
        migrations.AddIndex(
            model_name='room',
            index=models.Index(fields=['event', 'position', 'id'], name='room_event_position'),
        ),
        migrations.AddConstraint(
            model_name='room',
            constraint=models.CheckConstraint(condition=models.Q(('slug', ''), _negated=True), name='room_slug_not_blank'),
        ),
        migrations.AddConstraint(
            model_name='room',
            constraint=models.CheckConstraint(condition=models.Q(('name', ''), _negated=True), name='room_name_not_blank'),
        ),
        migrations.AddConstraint(
            model_name='room',
            constraint=models.UniqueConstraint(fields=('event', 'slug'), name='room_slug_per_event'),
        ),
        migrations.AddConstraint(
            model_name='track',
            constraint=models.CheckConstraint(condition=models.Q(('slug', ''), _negated=True), name='track_slug_not_blank'),
        ),
        migrations.AddConstraint(
            model_name='track',
            constraint=models.CheckConstraint(condition=models.Q(('name', ''), _negated=True), name='track_name_not_blank'),
        ),
        migrations.AddConstraint(
            model_name='track',
            constraint=models.UniqueConstraint(fields=('event', 'slug'), name='track_slug_per_event'),
        ),
        migrations.SeparateDatabaseAndState(
            # SQLite would remake talks_talk (and drop its triggers) to add a check:
            # there the schedule's services are what keep a slot whole.
            database_operations=[migrations.RunPython(talk_slot_check, talk_slot_check_back)],
            state_operations=[
        migrations.AddConstraint(
            model_name='talk',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('ends_at__isnull', True), ('room__isnull', True), ('starts_at__isnull', True)), models.Q(('ends_at__gt', models.F('starts_at')), ('ends_at__isnull', False), ('starts_at__isnull', False)), _connector='OR'), name='talk_slot_ends_after_start'),
        ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
