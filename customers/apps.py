from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """The sales floor: customers and tiers (R10.1), the rotation (R2) and the
    call log (R2.5, R9.2). Builds on visitors and reception, never the reverse."""

    name = "customers"
    verbose_name = _("Sales floor")

    def ready(self):
        # The monthly complaint summary is drawn, with its PDF, when
        # visitors.notify sends it (R5.5); that module never imports this app.
        from customers import summary_report
        from visitors import notify

        notify.register_prepared_renderer(summary_report.PREFIX, summary_report.render_summary_email)
