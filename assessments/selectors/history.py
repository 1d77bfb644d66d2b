"""The change history of a branch's year-end results, in words a reader knows."""

from dataclasses import dataclass, field

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from assessments.models import BranchAssessment, YearEndAssessment


@dataclass
class HistoryChange:
    label: str
    old: str | None = None
    new: str | None = None
    # A value recorded on its own (a reason) rather than as old → new.
    value: str | None = None


@dataclass
class HistoryRow:
    entry: object
    action: str
    member_name: str
    changes: list[HistoryChange] = field(default_factory=list)


def _actions() -> dict[str, str]:
    return {
        "assessment.verdict": _("Evaluation and rating set"),
        "assessment.self_summary": _("Self-summary written"),
        "branch_assessment.submitted": _("Submitted to leadership"),
        "branch_assessment.confirmed": _("Confirmed by leadership"),
        "branch_assessment.reopened": _("Reopened"),
    }


def _fields() -> dict[str, str]:
    year_end = YearEndAssessment._meta
    return {
        "evaluation": str(year_end.get_field("evaluation").verbose_name),
        "branch_rating": str(year_end.get_field("branch_rating").verbose_name),
        "score": str(year_end.get_field("score").verbose_name),
        "self_summary": str(year_end.get_field("self_summary").verbose_name),
        "status": str(BranchAssessment._meta.get_field("status").verbose_name),
        "reason": str(BranchAssessment._meta.get_field("reopen_reason").verbose_name),
    }


def _value_labels() -> dict[str, dict]:
    return {
        "evaluation": dict(YearEndAssessment.Evaluation.choices),
        "status": dict(BranchAssessment.Status.choices),
    }


def history_rows(entries, member_names: dict[int, str]) -> list[HistoryRow]:
    """Turn audit entries into rows with translated action, field and value labels; no queries."""
    actions, fields, values = _actions(), _fields(), _value_labels()

    def show(key, value):
        if value is None or value == "":
            return None
        return str(values.get(key, {}).get(value, value))

    rows = []
    for entry in entries:
        is_member_row = entry.target_type.endswith("yearendassessment")
        row = HistoryRow(
            entry=entry,
            action=actions.get(entry.action, entry.action),
            member_name=member_names.get(int(entry.target_id), "") if is_member_row else "",
        )
        for key, change in (entry.payload or {}).items():
            label = str(capfirst(fields.get(key, key)))
            if isinstance(change, list) and len(change) == 2:
                row.changes.append(HistoryChange(label, old=show(key, change[0]), new=show(key, change[1])))
            else:
                row.changes.append(HistoryChange(label, value=show(key, change) or "—"))
        rows.append(row)
    return rows
