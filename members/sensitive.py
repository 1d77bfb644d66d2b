"""The one door for full ID and phone numbers (身份证号、手机号码).

Every page, form, export and log that shows a member's full number asks here.
The answer is the full value only for the member themself and for holders of
the identity permission; every full value shown to someone other than its
owner is recorded in the access log (who, whose, which field, where, when).
Everyone else gets the masked value.
"""

from django.utils import timezone

from members.identity import mask_id_number, mask_phone
from members.models import IdentityAccess, Member
from members.permissions import roles_for

FIELDS = {"id_number": mask_id_number, "phone": mask_phone}


def _viewer_name(viewer) -> str:
    if viewer is None:
        return "system"
    return viewer.get_username()


def may_reveal(viewer, member: Member) -> bool:
    """The member themself, holders of the identity permission, and the system (viewer None)."""
    if viewer is None:
        return True
    roles = roles_for(viewer)
    if roles.member is not None and roles.member.pk == member.pk:
        return True
    return roles.can_view_identity


def _is_self(viewer, member: Member) -> bool:
    roles = roles_for(viewer) if viewer is not None else None
    return roles is not None and roles.member is not None and roles.member.pk == member.pk


def reveal(viewer, member: Member, field: str, *, where: str) -> str:
    """Return *member*'s *field* in full (and record it) or masked."""
    return reveal_many(viewer, [member], [field], where=where)[0][field]


def reveal_many(viewer, members, fields, *, where: str) -> list[dict[str, str]]:
    """Return one {field: value} per member, full or masked, recording every full value shown."""
    now = timezone.now()
    rows, log = [], []
    for member in members:
        full = may_reveal(viewer, member)
        values = {}
        for field in fields:
            raw = getattr(member, field) or ""
            if full:
                values[field] = raw
                if raw and not _is_self(viewer, member):
                    log.append(
                        IdentityAccess(
                            viewer=viewer,
                            viewer_name=_viewer_name(viewer),
                            member=member,
                            field=field,
                            where=where[:200],
                            at=now,
                        )
                    )
            else:
                values[field] = FIELDS[field](raw)
        rows.append(values)
    IdentityAccess.objects.bulk_create(log, batch_size=1000)
    return rows


def masked(member: Member, field: str) -> str:
    """The masked value, for places that never show the full one (audit log, admin list)."""
    return FIELDS[field](getattr(member, field) or "")


def access_log_purge(*, now=None) -> int:
    """Delete access-log rows older than IDENTITY_ACCESS_RETENTION_DAYS; return how many."""
    from datetime import timedelta

    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.IDENTITY_ACCESS_RETENTION_DAYS)
    deleted, _by_model = IdentityAccess.objects.filter(at__lt=cutoff).delete()
    return deleted


def reveal_fields(viewer, member: Member, fields, *, where: str) -> dict[str, str]:
    """Return {field: value} for one member, full (and recorded) or masked."""
    return reveal_many(viewer, [member], fields, where=where)[0]
