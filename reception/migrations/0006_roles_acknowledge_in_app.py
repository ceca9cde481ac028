from django.db import migrations

from reception.roles import sync_roles

# Issue #15 item 11 (R3.2): the secretary and the office director, whom the
# default escalation chain reaches, may acknowledge a visit in the app.


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0005_office_manager_keeps_to_their_site"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
