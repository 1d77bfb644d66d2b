"""Write side of members: the only place that changes members, memberships and posts."""

import datetime

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from branches.models import Branch
from core.audit import audit_record, changes_between
from members.identity import mask_id_number, mask_phone
from members.models import Member, Membership
from members.services.figures import mark_figures_stale

# Fields a roster row or the edit form may set; the account link and the
# branch are changed only through their own services.
MEMBER_DATA_FIELDS = (
    "full_name",
    "gender",
    "ethnicity",
    "birth_date",
    "education",
    "id_number",
    "phone",
    "landline",
    "email",
    "category",
    "joined_party_on",
    "full_member_on",
    "status",
    "standing",
    "work_unit",
    "job_post",
    "party_title",
    "party_group",
    "expertise",
)


def member_data(member: Member) -> dict:
    """Return the editable fields of *member* as a dict."""
    return model_to_dict(member, fields=MEMBER_DATA_FIELDS)


def _masked_changes(changes: dict) -> dict:
    """The audit log never holds a full ID or phone number: it keeps the masked old and new values."""
    masks = {"id_number": mask_id_number, "phone": mask_phone}
    return {key: [masks[key](v) for v in values] if key in masks else values for key, values in changes.items()}


@transaction.atomic
def member_create(*, branch: Branch, data: dict, actor, joined_branch_on: datetime.date | None = None) -> Member:
    """Create a member in *branch* and open their first membership."""
    member = Member(branch=branch, **data)
    member.full_clean()
    member.save()
    Membership.objects.create(
        member=member,
        branch=branch,
        start_on=joined_branch_on or member.joined_party_on,
    )
    audit_record(actor=actor, action="member.created", target=member, payload={"branch": branch.pk})
    return member


@transaction.atomic
def member_update(*, member: Member, data: dict, actor) -> bool:
    """Apply changed fields to *member*; return False and write nothing when none changed."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    before = member_data(member)
    changes = changes_between(before, {k: v for k, v in data.items() if k in MEMBER_DATA_FIELDS})
    if not changes:
        return False
    for name in changes:
        setattr(member, name, data[name])
    member.full_clean()
    member.save()
    if "status" in changes:
        _status_changed(member)
    if "standing" in changes:
        _standing_changed(member)
    audit_record(actor=actor, action="member.updated", target=member, payload=_masked_changes(changes))
    return True


def _status_changed(member: Member) -> None:
    """Close the open membership of a member who died or left the bureau today; mark their figures stale.

    Closing it records the day they stopped belonging to the branch, which is
    what every "member on the day" figure reads.
    """
    today = timezone.localdate()
    if not member.is_active_member:
        for period in Membership.objects.filter(member=member, end_on__isnull=True):
            period.end_on = max(period.start_on, today)
            period.save(update_fields=["end_on"])
    mark_figures_stale(years=[today.year], members=[member.pk])


def _standing_changed(member: Member) -> None:
    """Mark the member's figures stale for each year the ledger keeps live.

    Standing has no date, so it moves every live year; the ledger itself
    finds the branches the member belonged to in each.
    """
    today = timezone.localdate()
    mark_figures_stale(years=range(today.year - 1, today.year + 1), members=[member.pk])


@transaction.atomic
def member_transfer(*, member: Member, to_branch: Branch, on: datetime.date, actor, note: str = "") -> Member:
    """Close the member's open membership on the day before *on* and open one in *to_branch*.

    Figures for a period count the member in the branch they belonged to then,
    so history is closed, never rewritten.
    """
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.branch_id == to_branch.pk:
        return member
    from_branch_id = member.branch_id
    current = Membership.objects.filter(member=member, end_on__isnull=True).first()
    if current is not None:
        current.end_on = max(current.start_on, on - datetime.timedelta(days=1))
        current.save(update_fields=["end_on"])
    Membership.objects.create(member=member, branch=to_branch, start_on=on, note=note)
    member.branch = to_branch
    member.save(update_fields=["branch", "updated_at"])
    audit_record(
        actor=actor,
        action="member.transferred",
        target=member,
        payload={"from": from_branch_id, "to": to_branch.pk, "on": on.isoformat()},
    )
    return member
