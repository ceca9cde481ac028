from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """The sales floor: customers and tiers (R10.1), the rotation (R2) and the
    call log (R2.5, R9.2). Builds on visitors and reception, never the reverse."""

    name = "customers"
    verbose_name = _("Sales floor")
