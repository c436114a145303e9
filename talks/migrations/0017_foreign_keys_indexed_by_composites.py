"""Foreign keys that a composite index already starts with lose their own index.

`talks_talk.event_id` is the start of talk_event_recorded, `talks_talkspeaker.talk_id` of
talk_speaker_position (which also gives a talk's speakers in billing order) and
`talks_talkspeaker.speaker_id` of talkspeaker_speaker_newest: their single-column
indexes (60 MB at 1,000,000 talks) only slowed every write and the first import's
rebuild. The indexes are dropped by name: Django's own AlterField would drop and
re-check each foreign key on PostgreSQL and rebuild the table, losing its triggers, on
SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = {
    "talks_talk_event_id_0b7a7ffb": ("talks_talk", "event_id"),
    "talks_talkspeaker_speaker_id_2eba99c6": ("talks_talkspeaker", "speaker_id"),
    "talks_talkspeaker_talk_id_18fc3adf": ("talks_talkspeaker", "talk_id"),
}


class Migration(migrations.Migration):
    dependencies = [("talks", "0016_prefix_words")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, (table, column) in DROPPED.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="talk",
                    name="event",
                    field=models.ForeignKey(
                        db_index=False,
                        help_text="The event the talk was given at.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="talks",
                        to="talks.event",
                    ),
                ),
                migrations.AlterField(
                    model_name="talkspeaker",
                    name="speaker",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="talk_speakers",
                        to="talks.speaker",
                    ),
                ),
                migrations.AlterField(
                    model_name="talkspeaker",
                    name="talk",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="talk_speakers",
                        to="talks.talk",
                    ),
                ),
            ],
        )
    ]
