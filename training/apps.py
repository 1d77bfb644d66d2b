from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("training")

    def ready(self):
        from django.db.models.signals import post_save, pre_delete

        from training.models import StudyPlanItem
        from training.services.figures import figures_refreshed, plan_item_changed
        from training.services.interaction_figures import figures_refreshed_receiver

        figures_refreshed.connect(figures_refreshed_receiver, dispatch_uid="training-interaction-figures")
        # Plan items are also edited in the admin: the signals mark the plan's figures stale whichever path
        # changed them (before a delete, while the item still leads to its plan).
        post_save.connect(plan_item_changed, sender=StudyPlanItem, dispatch_uid="figures-plan-item")
        pre_delete.connect(plan_item_changed, sender=StudyPlanItem, dispatch_uid="figures-plan-item-delete")
