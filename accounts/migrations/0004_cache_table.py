"""Create the database cache table when CACHES uses it (production default), so login rate
limits are shared by every web process from the first `migrate`. Does nothing for other caches;
`manage.py createcachetable` does the same by hand after switching CACHE_URL to db://."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_invitation_for_account")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
