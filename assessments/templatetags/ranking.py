"""The dashboard ranking's rows, written in Python: a page of the ranking is a dozen figures a row, and
building them here costs a fraction of a template node per figure. The same formats as the rest of the
page (report_format.whole_percent, floatformat), and every text escaped by format_html."""

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from assessments.templatetags.report_format import NONE, whole_percent

register = template.Library()

_ROW = (
    '<tr data-branch="{}" data-rank="{}"{}><td>{}</td>'
    + '<td class="text-end">{}</td>' * 9
    + '<td class="text-end{}">{}</td><td><span class="badge text-bg-{}">{}</span></td></tr>'
)


def _badges() -> dict[str, tuple[str, str]]:
    return {
        "confirmed": ("success", _("confirmed")),
        "submitted": ("primary", _("submitted")),
    }


@register.simple_tag
def ranking_rows(page, year: int) -> SafeString:
    """The <tr> of every row on *page* (a Paginator page of BranchRow), numbered across pages."""
    badges = _badges()
    draft = ("light border", _("open"))
    branch_url = reverse("assessments:branch_dashboard", args=[0]).replace("/0/", "/{}/")
    first = page.start_index()

    def cells(index, r):
        branch = r.branch
        organisation = bool(getattr(branch, "child_count", 0))  # an organisation with branches below
        if organisation:
            name = format_html(
                '<a href="?year={}&org={}">{}</a> <span class="small text-muted">›</span>', year, branch.pk, branch.name
            )
        else:
            name = format_html('<a href="{}?year={}">{}</a>', branch_url.format(branch.pk), year, branch.name)
        badge, label = badges.get(r.status, draft)
        return (
            branch.pk,
            first + index,
            " data-organisation" if organisation else "",
            name,
            r.members,
            r.lessons_held,
            whole_percent(r.plan_completion),
            whole_percent(r.attendance_rate),
            NONE if r.avg_hours is None else r.avg_hours,
            whole_percent(r.meets_share),
            r.notes_passed,
            floatformat(r.avg_score, 1) or NONE,
            f"{r.compliance_ok} / {r.compliance_rules}",
            " text-danger fw-semibold" if r.overdue_items else "",
            r.overdue_items,
            badge,
            label,
        )

    return format_html_join("\n", _ROW, (cells(i, r) for i, r in enumerate(page.object_list)))
