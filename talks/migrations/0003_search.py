"""Search: a GIN-indexed tsvector and trigram indexes on PostgreSQL, FTS5 on SQLite.

Neither is a Django model field, so the models stay the same on both databases.
"""

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "ALTER TABLE talks_talk ADD COLUMN search_vector tsvector",
    "CREATE INDEX talk_search ON talks_talk USING gin (search_vector)",
    "CREATE INDEX speaker_name_trgm ON talks_speaker USING gin (name gin_trgm_ops)",
    "CREATE INDEX event_name_trgm ON talks_event USING gin (name gin_trgm_ops)",
    "CREATE INDEX topic_name_trgm ON talks_topic USING gin (name gin_trgm_ops)",
]
POSTGRES_BACK = [
    "DROP INDEX IF EXISTS topic_name_trgm",
    "DROP INDEX IF EXISTS event_name_trgm",
    "DROP INDEX IF EXISTS speaker_name_trgm",
    "ALTER TABLE talks_talk DROP COLUMN IF EXISTS search_vector",
]
SQLITE = [
    "CREATE VIRTUAL TABLE talks_talk_fts USING fts5("
    "title, names, abstract, tokenize='porter unicode61 remove_diacritics 2')",
]
SQLITE_BACK = ["DROP TABLE IF EXISTS talks_talk_fts"]


def forwards(apps, schema_editor):
    from talks.search import refresh_search_text

    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRES, "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(statement)
    refresh_search_text(None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRES_BACK, "sqlite": SQLITE_BACK}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("talks", "0002_api_tokens_and_validators")]
    operations = [migrations.RunPython(forwards, backwards)]
