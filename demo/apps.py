from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo and benchmark data; depends on the four domain apps, and none of them depends on it."""

    name = "demo"
    verbose_name = _("demo data")
