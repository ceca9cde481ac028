from django.db import migrations

from reception.roles import sync_roles

# Issue #15 item 11 (R3.2): the secretary and the office director, whom the
# default escalation chain reaches, may acknowledge a visit in the app.


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0004_roles_for_registers_and_public_side"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
