"""A copy of the talk's date on each of its speaker links, kept by database triggers.

A speaker's page of talks, newest first, numbered every talk of the speaker with a
window function: at 200,000 talks the 50 speakers with most talks have 154,000, and
PostgreSQL read the whole talk table to sort them (500 ms). With the date on the link
and an index on (speaker, date, talk), the newest links of each speaker are the start
of one index range.

Triggers keep the copy exact whoever writes: a link takes its talk's date when it is
written (a stale date written back by a save is replaced), and a talk whose date
changes passes it to its links.
"""

from django.db import migrations, models

import talks.models

POSTGRES = [
    """CREATE FUNCTION talkspeaker_take_recorded_on() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.recorded_on := (SELECT recorded_on FROM talks_talk WHERE id = NEW.talk_id);
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER talkspeaker_recorded_on BEFORE INSERT OR UPDATE ON talks_talkspeaker "
    "FOR EACH ROW EXECUTE FUNCTION talkspeaker_take_recorded_on()",
    """CREATE FUNCTION talk_pass_recorded_on() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE talks_talkspeaker SET recorded_on = NEW.recorded_on WHERE talk_id = NEW.id;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER talk_recorded_on AFTER UPDATE OF recorded_on ON talks_talk FOR EACH ROW "
    "WHEN (OLD.recorded_on IS DISTINCT FROM NEW.recorded_on) "
    "EXECUTE FUNCTION talk_pass_recorded_on()",
    "UPDATE talks_talkspeaker ts SET recorded_on = t.recorded_on FROM talks_talk t "
    "WHERE t.id = ts.talk_id",
]
POSTGRES_BACK = [
    "DROP TRIGGER IF EXISTS talk_recorded_on ON talks_talk",
    "DROP TRIGGER IF EXISTS talkspeaker_recorded_on ON talks_talkspeaker",
    "DROP FUNCTION IF EXISTS talk_pass_recorded_on()",
    "DROP FUNCTION IF EXISTS talkspeaker_take_recorded_on()",
]

# SQLite triggers cannot assign NEW, so a link's date is set by an UPDATE after the
# write; SQLite does not let a trigger run itself again, so that UPDATE stops there.
TAKE = (
    "UPDATE talks_talkspeaker SET recorded_on = "
    "(SELECT recorded_on FROM talks_talk WHERE id = NEW.talk_id) WHERE id = NEW.id;"
)
SQLITE = [
    f"CREATE TRIGGER talkspeaker_recorded_on_insert AFTER INSERT ON talks_talkspeaker "
    f"BEGIN {TAKE} END",
    f"CREATE TRIGGER talkspeaker_recorded_on_update "
    f"AFTER UPDATE OF talk_id, recorded_on ON talks_talkspeaker BEGIN {TAKE} END",
    "CREATE TRIGGER talk_recorded_on AFTER UPDATE OF recorded_on ON talks_talk "
    "WHEN OLD.recorded_on IS NOT NEW.recorded_on BEGIN "
    "UPDATE talks_talkspeaker SET recorded_on = NEW.recorded_on WHERE talk_id = NEW.id; END",
    "UPDATE talks_talkspeaker SET recorded_on = "
    "(SELECT recorded_on FROM talks_talk WHERE id = talks_talkspeaker.talk_id)",
]
SQLITE_BACK = [
    "DROP TRIGGER IF EXISTS talk_recorded_on",
    "DROP TRIGGER IF EXISTS talkspeaker_recorded_on_update",
    "DROP TRIGGER IF EXISTS talkspeaker_recorded_on_insert",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRES, "sqlite": SQLITE}[vendor]:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRES_BACK, "sqlite": SQLITE_BACK}[vendor]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("talks", "0004_talk_counts")]

    operations = [
        migrations.AddField(
            model_name="talkspeaker",
            name="recorded_on",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveIndex(model_name="talkspeaker", name="talkspeaker_speaker"),
        migrations.AddIndex(
            model_name="talkspeaker",
            index=talks.models.PortableIndex(
                models.F("speaker"),
                models.OrderBy(models.F("recorded_on"), descending=True, nulls_last=True),
                models.OrderBy(models.F("talk"), descending=True),
                name="talkspeaker_speaker_newest",
            ),
        ),
    ]
