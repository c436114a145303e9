"""Keep a talk's search vector in its row (compressed if need be), not in TOAST.

A talk row over 2 kB is toasted, and PostgreSQL moved the largest value, often the search
vector, out of line: ranking or scanning such a talk then read three more buffers from the
TOAST table (a count of the 60,000 talks matching "python" at 100,000 talks read 105,000
buffers for a 35,000-page table). With storage MAIN the abstract, which searches never
read, goes out of line instead. Rows take the new storage when their vector is next
written (`refresh_talk_search`, every import).
"""

from django.db import migrations


def storage(kind: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE talks_talk ALTER COLUMN search_vector SET STORAGE {kind}"
            )

    return run


class Migration(migrations.Migration):
    dependencies = [("talks", "0006_search_query_constants")]
    operations = [migrations.RunPython(storage("MAIN"), storage("EXTENDED"))]
