"""Write side of the year-end assessment: scheme, self-summary, branch verdicts, submit, confirm, reopen.

Every change to an assessment is written to the audit log with old → new
values; leadership reads it as the assessment's history.
"""

import math
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import AssessmentScheme, BranchAssessment, YearEndAssessment
from assessments.services.branch_figures import branch_year_refresh
from assessments.services.indicators import scheme_for, score_for, yearend_sync
from core.audit import audit_record, changes_between
from members.models import Member
from members.services.figures import mark_figures_stale
from training.services.figures import figures_refresh

SCHEME_FIELDS = (
    "required_self_study_hours",
    "required_notes",
    "weight_attendance",
    "weight_centralised",
    "weight_self_study",
    "weight_note_quality",
    "weight_branch_rating",
    "excellent_share_max",
    "excellent_needs_hours",
)


def branch_assessment_for(branch_id: int, year: int) -> BranchAssessment:
    assessment, _created = BranchAssessment.objects.get_or_create(branch_id=branch_id, year=year)
    return assessment


@transaction.atomic
def scheme_update(*, scheme: AssessmentScheme, data: dict, actor) -> bool:
    """Change the year's scheme (weights must add up to 100); return False when nothing changed."""
    before = model_to_dict(scheme, fields=SCHEME_FIELDS)
    changes = changes_between(before, {k: v for k, v in data.items() if k in SCHEME_FIELDS})
    if not changes:
        return False
    for name in changes:
        setattr(scheme, name, data[name])
    if scheme.weight_total != 100:
        raise ValidationError(
            _("The weights add up to %(total)d; they must add up to 100.") % {"total": scheme.weight_total},
            code="weights",
        )
    scheme.full_clean()
    scheme.save()
    yearend_sync(scheme.year)  # the scores follow the new weights at once
    audit_record(actor=actor, action="scheme.updated", target=scheme, payload=changes)
    return True


def _ensure_open(branch_id: int, year: int, *, allow_submitted: bool = False) -> BranchAssessment:
    state = BranchAssessment.objects.select_for_update().get(pk=branch_assessment_for(branch_id, year).pk)
    allowed = {BranchAssessment.Status.DRAFT}
    if allow_submitted:
        allowed.add(BranchAssessment.Status.SUBMITTED)
    if state.status not in allowed:
        raise ValidationError(
            _("The branch's results are %(status)s and can no longer be changed.")
            % {"status": state.get_status_display()},
            code="locked",
        )
    return state


@transaction.atomic
def self_summary_save(*, member: Member, year: int, text: str, actor) -> YearEndAssessment:
    """Save the member's self-summary (个人总结) until the branch submits its results."""
    assessment = YearEndAssessment.objects.filter(member=member, year=year).first()
    if assessment is None:
        mark_figures_stale(years=[year], members=[member.pk])
        figures_refresh()
        assessment = YearEndAssessment.objects.filter(member=member, year=year).first()
    if assessment is None:
        raise ValidationError(_("You were not a member of a branch in %(year)s.") % {"year": year}, code="not_assessed")
    _ensure_open(assessment.branch_id, year)
    old = assessment.self_summary
    if old == text.strip():
        return assessment
    assessment.self_summary = text.strip()
    assessment.save(update_fields=["self_summary"])
    audit_record(
        actor=actor,
        action="assessment.self_summary",
        target=assessment,
        payload={"self_summary": [old, assessment.self_summary]},
    )
    return assessment


@transaction.atomic
def branch_verdicts_save(*, branch_id: int, year: int, verdicts: dict[int, tuple[str, int | None]], actor) -> int:
    """Set the democratic-evaluation outcome and the branch rating of many members; return how many changed."""
    _ensure_open(branch_id, year)
    scheme = scheme_for(year)
    rows = {
        a.member_id: a for a in YearEndAssessment.objects.select_for_update().filter(branch_id=branch_id, year=year)
    }
    changed = []
    for member_id, (evaluation, rating) in verdicts.items():
        row = rows.get(member_id)
        if row is None:
            continue
        if evaluation and evaluation not in YearEndAssessment.Evaluation.values:
            raise ValidationError(_("Choose a valid evaluation outcome."), code="evaluation")
        if rating is not None and not 0 <= rating <= 100:
            raise ValidationError(_("A rating is a number from 0 to 100."), code="rating")
        changes = changes_between(
            {"evaluation": row.evaluation, "branch_rating": row.branch_rating},
            {"evaluation": evaluation, "branch_rating": rating},
        )
        if not changes:
            continue
        row.evaluation, row.branch_rating = evaluation, rating
        old_score = row.score
        row.score = score_for(row, scheme)
        if row.score != old_score:
            changes["score"] = [str(old_score), str(row.score)]
        changed.append((row, changes))
    YearEndAssessment.objects.bulk_update([row for row, _c in changed], ["evaluation", "branch_rating", "score"])
    branch_year_refresh(year, branch_ids=[branch_id])
    for row, changes in changed:
        audit_record(actor=actor, action="assessment.verdict", target=row, payload=changes)
    return len(changed)


def rule_violations(branch_id: int, year: int) -> list[str]:
    """Return what stops the branch from submitting: missing outcomes, too many 优秀, 优秀 below the hours."""
    scheme = scheme_for(year)
    rows = list(
        YearEndAssessment.objects.filter(branch_id=branch_id, year=year)
        .select_related("member")
        .order_by("member__name_pinyin")
    )
    problems = []
    missing = [r.member.full_name for r in rows if not r.evaluation]
    if missing:
        problems.append(_("No evaluation outcome yet for: %(names)s.") % {"names": "、".join(missing)})
    excellent = [r for r in rows if r.evaluation == YearEndAssessment.Evaluation.EXCELLENT]
    # 0.333 means one third: read the share as the simple fraction it stands for.
    share = Fraction(scheme.excellent_share_max).limit_denominator(100)
    allowed = math.floor(len(rows) * share)
    if len(excellent) > allowed:
        problems.append(
            _("%(count)d members are rated excellent; at most %(allowed)d of %(total)d may be.")
            % {"count": len(excellent), "allowed": allowed, "total": len(rows)}
        )
    if scheme.excellent_needs_hours:
        short = [r.member.full_name for r in excellent if not r.meets_hours]
        if short:
            problems.append(
                _("Rated excellent without the required study hours: %(names)s.") % {"names": "、".join(short)}
            )
    return problems


@transaction.atomic
def branch_submit(*, branch_id: int, year: int, actor) -> BranchAssessment:
    """Send the branch's results to leadership; refused while a rule is broken."""
    state = _ensure_open(branch_id, year)
    problems = rule_violations(branch_id, year)
    if problems:
        raise ValidationError(problems, code="rules")
    state.status = BranchAssessment.Status.SUBMITTED
    state.submitted_by, state.submitted_at = actor, timezone.now()
    state.save()
    audit_record(actor=actor, action="branch_assessment.submitted", target=state)
    return state


@transaction.atomic
def branch_confirm(*, branch_id: int, year: int, actor, is_leadership: bool) -> BranchAssessment:
    """Confirm a submitted branch: its results become read-only."""
    if not is_leadership:
        raise PermissionDenied
    state = BranchAssessment.objects.select_for_update().get(pk=branch_assessment_for(branch_id, year).pk)
    if state.status != BranchAssessment.Status.SUBMITTED:
        raise ValidationError(_("Only results the branch has submitted can be confirmed."), code="not_submitted")
    state.status = BranchAssessment.Status.CONFIRMED
    state.confirmed_by, state.confirmed_at = actor, timezone.now()
    state.save()
    audit_record(actor=actor, action="branch_assessment.confirmed", target=state)
    return state


@transaction.atomic
def branch_reopen(*, branch_id: int, year: int, reason: str, actor, is_leadership: bool) -> BranchAssessment:
    """Send submitted or confirmed results back to the branch; a reason is required and kept."""
    if not is_leadership:
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Give a reason for reopening."), code="reason_required")
    state = BranchAssessment.objects.select_for_update().get(pk=branch_assessment_for(branch_id, year).pk)
    if state.status == BranchAssessment.Status.DRAFT:
        raise ValidationError(_("The branch's results are already open."), code="already_open")
    old = state.status
    state.status = BranchAssessment.Status.DRAFT
    state.reopen_reason = reason.strip()
    state.save()
    audit_record(
        actor=actor,
        action="branch_assessment.reopened",
        target=state,
        payload={"status": [old, state.status], "reason": state.reopen_reason},
    )
    return state
