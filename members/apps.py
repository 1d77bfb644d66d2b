from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("members")

    def ready(self):
        from members import middleware  # noqa: F401  (connects the login signal)
        from members.services.lockouts import connect_signals

        connect_signals()
