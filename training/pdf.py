"""PDF rendering with WeasyPrint; fonts come from fontconfig (Noto Sans CJK on Debian)."""

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from training.selectors.lessons import attendance_rows


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html).write_pdf(font_config=FontConfiguration())


def sign_in_sheet_pdf(lesson) -> bytes:
    """Return the printable sign-in sheet (签到表) of a lesson, one line per audience member."""
    html = render_to_string(
        "training/sign_in_sheet.html",
        {
            "lesson": lesson,
            "rows": attendance_rows(lesson),
            "printed_at": timezone.localtime(),
        },
    )
    return html_to_pdf(html)


def live_summary_pdf(lesson) -> bytes:
    """Return the one-page summary of a lesson's live session: polls, quiz, questions."""
    from training.selectors.live import lesson_live_summary

    html = render_to_string(
        "training/live_summary_pdf.html",
        {"lesson": lesson, "summary": lesson_live_summary(lesson), "printed_at": timezone.localtime()},
    )
    return html_to_pdf(html)
