from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("training")

    def ready(self):
        from training.services.figures import figures_refreshed
        from training.services.interaction_figures import figures_refreshed_receiver

        figures_refreshed.connect(figures_refreshed_receiver, dispatch_uid="training-interaction-figures")
