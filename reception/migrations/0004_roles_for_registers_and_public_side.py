from django.db import migrations

from reception.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0003_kiosk_channels_registers"),
        ("visitors", "0002_invitations_notifications"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
