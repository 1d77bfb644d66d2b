from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("assessments")

    def ready(self):
        from assessments.services.branch_figures import reconcile_receiver
        from assessments.services.indicators import figures_refreshed_receiver
        from training.services.figures import figures_refreshed
        from training.services.reconcile import reconciling

        figures_refreshed.connect(figures_refreshed_receiver, dispatch_uid="assessments-yearend-sync")
        reconciling.connect(reconcile_receiver, dispatch_uid="assessments-branch-year-figures")
