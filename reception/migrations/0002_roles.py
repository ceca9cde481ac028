"""Create the duty groups of R1.5/R6.8 and the office manager's group with
their permissions (see reception/roles.py)."""

from django.db import migrations

from reception.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0001_initial"),
        ("visitors", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
