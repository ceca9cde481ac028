from django.db import migrations

from reception.roles import sync_roles

# Issue #17 (R2, R9.2, R10.1): the salesperson and the sales floor manager
# become duties with their groups, and the desk, the floor manager and the
# office manager receive the sales floor's permissions, which exist only now.


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0010_sales_floor_duties"),
        ("customers", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
