from django.db import migrations

from reception.roles import sync_roles


class Migration(migrations.Migration):
    """Issue #15: the office manager no longer adds sites, renames departments,
    edits duties or changes groups' permissions."""

    dependencies = [("reception", "0004_roles_for_registers_and_public_side")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
