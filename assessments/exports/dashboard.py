"""The dashboard's figures as an XLSX workbook: one sheet per table, real numbers."""

from django.utils.translation import gettext as _
from openpyxl.styles import Font

from assessments.models import YearEndAssessment
from core.spreadsheets import new_workbook, workbook_bytes

NO_FIGURE = "—"  # nothing to count: no figure, never 100 %


def _sheet(workbook, title, header, rows):
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 16
    return sheet


def _percent_cells(sheet, columns):
    for column in columns:
        for cell in sheet[column][1:]:
            cell.number_format = "0.0%"


def dashboard_xlsx(data, *, members=None) -> bytes:
    """Return the workbook for a dashboard (and, for one branch, its members)."""
    workbook = new_workbook()
    workbook.remove(workbook.active)
    kpis = _sheet(
        workbook,
        _("Key figures"),
        [_("Figure"), _("Value")],
        [
            (_("Year"), data.year),
            (_("Members"), data.members),
            (_("Lessons held"), data.lessons_held),
            (_("Lessons planned"), data.lessons_planned),
            (_("Average attendance"), data.attendance_rate),
            (_("Share meeting the hour requirement"), data.meets_share),
            (_("Notes submitted"), data.notes_submitted),
            (_("Notes passed"), data.notes_passed),
            (_("Overdue rectification items"), data.overdue_items),
        ],
    )
    for row in (6, 7):
        kpis.cell(row=row, column=2).number_format = "0.0%"
    ranking = _sheet(
        workbook,
        _("Branches"),
        [
            _("Branch"),
            _("Members"),
            _("Lessons held"),
            _("Lessons planned"),
            _("Plan completion"),
            _("Attendance rate"),
            _("Average hours"),
            _("Meeting the requirement"),
            _("Notes passed"),
            _("Average score"),
            _("三会一课 met"),
            _("Overdue rectification items"),
        ],
        [
            (
                r.branch.name,
                r.members,
                r.lessons_held,
                r.lessons_planned,
                r.plan_completion,
                r.attendance_rate,
                r.avg_hours,
                r.meets_share,
                r.notes_passed,
                float(r.avg_score) if r.avg_score is not None else None,
                f"{r.compliance_ok}/{r.compliance_rules}",
                r.overdue_items,
            )
            for r in data.rows
        ],
    )
    _percent_cells(ranking, ["E", "F", "H"])
    trend = _sheet(
        workbook,
        _("Monthly trend"),
        [_("Month"), _("Lessons held"), _("Attendance rows"), _("Attended"), _("Attendance rate")],
        [(m.month, m.lessons, m.rows, m.attended, m.attendance_rate) for m in data.months],
    )
    _percent_cells(trend, ["E"])
    labels = dict(YearEndAssessment.Evaluation.choices) | {"none": _("not yet evaluated")}
    _sheet(
        workbook,
        _("Evaluation outcomes"),
        [_("Outcome"), _("Members")],
        [(str(labels[k]), v) for k, v in data.evaluation_distribution().items()],
    )
    _sheet(workbook, _("Hours against requirement"), [_("Band"), _("Members")], list(data.hour_distribution().items()))
    if members is not None:
        _sheet(
            workbook,
            _("Members"),
            [
                _("Member"),
                _("Attendance rate"),
                _("Centralised hours"),
                _("Self-study hours"),
                _("Online hours"),
                _("Total hours"),
                _("Required hours"),
                _("Notes passed"),
                _("Score"),
                _("Evaluation"),
            ],
            [
                (
                    a.member.full_name,
                    float(a.attendance_rate) if a.attendance_rate is not None else NO_FIGURE,
                    float(a.centralised_hours),
                    float(a.self_study_hours),
                    float(a.online_hours),
                    float(a.total_hours),
                    float(a.required_hours),
                    a.notes_passed,
                    float(a.score),
                    a.get_evaluation_display(),
                )
                for a in members
            ],
        )
        _percent_cells(workbook[_("Members")], ["B"])
    return workbook_bytes(workbook)
