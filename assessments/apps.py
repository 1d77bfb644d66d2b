from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("assessments")

    def ready(self):
        from assessments.services.indicators import figures_refreshed_receiver
        from training.services.figures import figures_refreshed

        figures_refreshed.connect(figures_refreshed_receiver, dispatch_uid="assessments-yearend-sync")
