from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("members")

    def ready(self):
        from members import middleware  # noqa: F401  (connects the login signal)
        from members.services.lockouts import connect_signals

        connect_signals()

        from members.models import Membership, Post
        from members.services.figures import membership_or_post_changed

        # Memberships and posts are also edited in the admin: the signals mark
        # the figures stale whichever path changed them.
        for model in (Membership, Post):
            post_save.connect(membership_or_post_changed, sender=model, dispatch_uid=f"figures-{model.__name__}")
            post_delete.connect(membership_or_post_changed, sender=model, dispatch_uid=f"figures-del-{model.__name__}")
