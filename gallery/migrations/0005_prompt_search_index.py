"""Index-backed prompt search (see gallery/search.py).

PostgreSQL: pg_trgm (a trusted extension: the database owner may create it) and a GIN trigram
index on UPPER(prompt), the expression of Django's `icontains`. SQLite: the FTS5 table and its
triggers are made by gallery.search.ensure_sqlite_index after every migrate.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS item_prompt_trgm ON gallery_mediaitem "
    "USING gin (UPPER(prompt) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS item_prompt_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("gallery", "0004_generation_card_version")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
