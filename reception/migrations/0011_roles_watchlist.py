from django.db import migrations

from reception.roles import sync_roles

# Issue #19: security and the office manager keep the watchlist; security
# clears or refuses the visits it holds. Nobody else reads it.


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0010_sales_floor_duties"),
        ("visitors", "0017_watchlist_security_holds"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
