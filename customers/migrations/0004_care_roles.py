from django.db import migrations

from reception.roles import sync_roles

# Issue #18 (R5, R9.3, R10.2): complaints, feedback and follow-ups for the
# desk, salespeople, department handlers, the director and the office manager.


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_care")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
