from django.db import migrations

from reception.roles import sync_roles

# Issue #20: the office director and the office manager see their site's insights.


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0008_bilingual_names"),
        ("visitors", "0016_insights_permission_monthly_report"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
