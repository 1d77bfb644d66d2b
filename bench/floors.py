"""Floors: the same figures as the application computes, in hand-written SQL run with connection.cursor().

Each floor returns the figures in a shape the harness compares with the
application's, so a floor that drifts from the definitions (see
assessments/dashboards.py and assessments/indicators.py) is reported
rather than silently timed.
"""

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

ACTIVE_MEMBER = ("full", "probationary")
ATTENDED = """(
    a.status IN ('present', 'late')
    OR (a.status = 'leave' AND EXISTS (
        SELECT 1 FROM training_assignmenttarget t
        JOIN training_assignment s ON s.id = t.assignment_id
        WHERE s.lesson_id = a.lesson_id AND s.kind = 'make_up' AND t.member_id = a.member_id AND t.status = 'done'
    ))
)"""

TREE = "b.kind IN ('branch', 'general_branch') AND b.is_active"
PAGE_SIZE = 30  # assessments.views.yearend.RANKING_PAGE_SIZE

# The cards: every branch's stored branch-and-year row added up.
TREE_TOTALS = f"""
SELECT coalesce(sum(f.members), 0), coalesce(sum(f.total_hours), 0), coalesce(sum(f.meets_hours), 0),
       coalesce(sum(f.attendance_rows), 0), coalesce(sum(f.attended), 0), coalesce(sum(f.lessons_planned), 0),
       coalesce(sum(f.notes_submitted), 0), coalesce(sum(f.notes_passed), 0), coalesce(sum(f.score_sum), 0),
       coalesce(sum(f.hours_at_quarter), 0), coalesce(sum(f.hours_at_half), 0),
       coalesce(sum(f.hours_at_three_quarters), 0), coalesce(sum(f.evaluated_excellent), 0),
       coalesce(sum(f.evaluated_qualified), 0), coalesce(sum(f.evaluated_basic), 0),
       coalesce(sum(f.evaluated_unqualified), 0), coalesce(sum(f.not_evaluated), 0), min(f.computed_at),
       (SELECT count(*) FROM assessments_rectificationitem r
        JOIN assessments_supervisionvisit v ON v.id = r.visit_id
        JOIN branches_branch b ON b.id = v.branch_id AND {TREE}
        WHERE r.deadline < %(today)s AND r.status <> 'done')
FROM assessments_branchyearfigures f JOIN branches_branch b ON b.id = f.branch_id AND {TREE}
WHERE f.year = %(year)s
"""

# The first page of the ranking by average score, and how many branches it ranks.
RANKING_PAGE = f"""
SELECT b.id, count(*) OVER () FROM branches_branch b
LEFT JOIN assessments_branchyearfigures f ON f.branch_id = b.id AND f.year = %(year)s
WHERE {TREE}
ORDER BY coalesce(f.score_sum::float8 / nullif(f.members, 0), 0) DESC, b.sort_order, b.code
LIMIT {PAGE_SIZE}
"""

# The page's rows in full.
PAGE_ROWS = """
SELECT b.id, b.name, b.path, coalesce(f.members, 0), coalesce(f.total_hours, 0), coalesce(f.lessons_held, 0),
       coalesce(f.attendance_rows, 0), coalesce(f.attended, 0), coalesce(f.lessons_planned, 0),
       coalesce(f.plan_done, 0), coalesce(f.notes_passed, 0), f.score_sum, f.meets_hours,
       (SELECT count(*) FROM assessments_rectificationitem r JOIN assessments_supervisionvisit v ON v.id = r.visit_id
        WHERE v.branch_id = b.id AND r.deadline < %(today)s AND r.status <> 'done'),
       coalesce(ba.status, 'draft')
FROM branches_branch b
LEFT JOIN assessments_branchyearfigures f ON f.branch_id = b.id AND f.year = %(year)s
LEFT JOIN assessments_branchassessment ba ON ba.branch_id = b.id AND ba.year = %(year)s
WHERE b.id = ANY(%(page)s)
"""

LEDGER_BUREAU_MONTHS = """
SELECT f.month, f.lessons_held, f.attendance_rows, f.attended
FROM training_branchmonthfigures f
WHERE f.year = %(year)s AND f.branch_id IS NULL
"""

FRESHNESS = """
SELECT (SELECT max(computed_at) FROM training_branchmonthfigures WHERE year = %(year)s AND branch_id IS NULL),
       EXISTS (SELECT 1 FROM members_stalefigures WHERE year = %(year)s)
"""

# The branch a member belonged to on the lesson's day (Asia/Shanghai), as members.selectors.memberships has it.
ON_THE_DAY = """
    SELECT m.branch_id FROM members_membership m JOIN members_member mb ON mb.id = m.member_id
    WHERE m.member_id = a.member_id AND m.start_on <= (l.start AT TIME ZONE %(tz)s)::date
      AND (m.end_on IS NULL OR m.end_on >= (l.start AT TIME ZONE %(tz)s)::date)
      AND NOT (m.end_on IS NULL AND mb.status NOT IN ('full', 'probationary'))
    ORDER BY m.start_on DESC, m.id DESC LIMIT 1
"""

# Attendance per branch on the lesson day and month: what reconciliation recounts.
ATTENDANCE_PER_BRANCH_MONTH = f"""
SELECT at.branch_id, extract(month FROM l.start AT TIME ZONE %(tz)s)::int, count(*),
       count(*) FILTER (WHERE {ATTENDED})
FROM training_attendance a
JOIN training_lesson l ON l.id = a.lesson_id
CROSS JOIN LATERAL ({ON_THE_DAY}) at
WHERE l.status = 'held' AND l.start >= %(low)s AND l.start < %(high)s
GROUP BY 1, 2
"""

HELD_PER_BRANCH_MONTH = """
SELECT h.branch_id, extract(month FROM l.start AT TIME ZONE %(tz)s)::int, count(DISTINCT l.id)
FROM training_lessonhost h
JOIN training_lesson l ON l.id = h.lesson_id
WHERE (h.is_organiser OR h.status = 'accepted') AND l.status = 'held' AND l.start >= %(low)s AND l.start < %(high)s
GROUP BY 1, 2
"""

COMPLIANCE = """
SELECT h.branch_id, l.kind, extract(month FROM l.start AT TIME ZONE %(tz)s)::int, count(*)
FROM training_lessonhost h
JOIN training_lesson l ON l.id = h.lesson_id
WHERE h.branch_id = ANY(%(page)s) AND (h.is_organiser OR h.status = 'accepted') AND l.status = 'held'
  AND l.kind IN (SELECT kind FROM training_meetingrule)
  AND l.start >= %(low)s AND l.start < %(cutoff)s
GROUP BY 1, 2, 3
"""

DASHBOARD_STATEMENTS = [
    ("totals", TREE_TOTALS),
    ("ranking", RANKING_PAGE),
    ("page", PAGE_ROWS),
    ("bureau_months", LEDGER_BUREAU_MONTHS),
    ("compliance", COMPLIANCE),
    ("freshness", FRESHNESS),
]


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def dashboard_params(year: int, today: datetime.date) -> dict:
    cutoff = min(today, datetime.date(year, 12, 31))
    return {
        "year": year,
        "today": today,
        "tz": str(timezone.get_default_timezone()),
        "low": _local_midnight(datetime.date(year, 1, 1)),
        "high": _local_midnight(datetime.date(year + 1, 1, 1)),
        "cutoff": _local_midnight(cutoff + datetime.timedelta(days=1)),
    }


def dashboard_raw(year: int, today: datetime.date) -> dict[str, list[tuple]]:
    """Run every statement of the leadership page's floor (cards, first ranking page by score); each one's rows."""
    params = dashboard_params(year, today)
    result = {}
    with connection.cursor() as cursor:
        for name, sql in DASHBOARD_STATEMENTS:
            cursor.execute(sql, params)
            result[name] = cursor.fetchall()
            if name == "ranking":
                params["page"] = [row[0] for row in result[name]]
    return result


def dashboard_key_figures_raw(raw: dict[str, list[tuple]]) -> dict:
    """Reduce the floor's rows to the figures compared with assessments.selectors.ranking.tree_dashboard()."""
    totals = raw["totals"][0]
    page = {row[0]: row for row in raw["page"]}
    lessons = {row[0]: row[1] for row in raw["bureau_months"]}
    monthly = {row[0]: (row[2], row[3]) for row in raw["bureau_months"]}
    return {
        "cards": (totals[0], Decimal(totals[1]), totals[2], (totals[3], totals[4]), totals[5], totals[18]),
        "count": raw["ranking"][0][1] if raw["ranking"] else 0,
        "page": [
            (pk, row[3], Decimal(row[4]), row[5], (row[6], row[7]), row[8:10], row[13])
            for pk, row in ((pk, page[pk]) for pk, _count in raw["ranking"])
        ],
        "months": [(m, lessons.get(m, 0), monthly.get(m, (0, 0))) for m in range(1, 13)],
    }


def dashboard_key_figures(data, ranking) -> dict:
    """The same figures, from the application's tree_dashboard() (its Dashboard and ranking page)."""
    total = data.total
    return {
        "cards": (
            total.members,
            Decimal(total.total_hours),
            total.meets_hours,
            (total.attendance_rows, total.attended),
            total.lessons_planned,
            total.overdue_items,
        ),
        "count": ranking.paginator.count,
        "page": [
            (
                r.branch.pk,
                r.members,
                Decimal(r.total_hours),
                r.lessons_held,
                (r.attendance_rows, r.attended),
                (r.lessons_planned, r.plan_done),
                r.overdue_items,
            )
            for r in data.rows
        ],
        "months": [(m.month, m.lessons, (m.rows, m.attended)) for m in data.months],
    }


# Every assessed member's indicators in one statement (see indicators.py).
INDICATORS = f"""
WITH assessed AS (
    SELECT DISTINCT ON (m.member_id) m.member_id AS id, m.branch_id
    FROM members_membership m JOIN members_member mb ON mb.id = m.member_id
    WHERE m.start_on <= %(on)s AND (m.end_on IS NULL OR m.end_on >= %(on)s)
      AND NOT (m.end_on IS NULL AND mb.status NOT IN %(active)s)
    ORDER BY m.member_id, m.start_on DESC, m.id DESC
),
attendance AS (
    SELECT a.member_id, count(*) AS total, count(*) FILTER (WHERE {ATTENDED}) AS attended,
           coalesce(sum(l.credit_hours) FILTER (WHERE a.status IN ('present', 'late')), 0) AS hours
    FROM training_attendance a JOIN training_lesson l ON l.id = a.lesson_id
    WHERE l.status = 'held' AND l.start >= %(low)s AND l.start < %(high)s AND EXISTS ({ON_THE_DAY})
    GROUP BY a.member_id
),
notes AS (
    SELECT member_id,
           count(*) FILTER (WHERE status IN ('submitted', 'returned', 'passed')) AS submitted,
           count(*) FILTER (WHERE status = 'passed') AS passed,
           count(*) FILTER (WHERE status = 'passed' AND grade = 'excellent') AS excellent,
           count(*) FILTER (WHERE status = 'passed' AND grade = 'good') AS good,
           count(*) FILTER (WHERE status = 'passed' AND grade = 'pass') AS passing,
           coalesce(sum(hours) FILTER (WHERE status = 'passed'), 0) AS hours
    FROM training_studynote WHERE study_date BETWEEN %(first)s AND %(last)s
    GROUP BY member_id
),
online AS (
    SELECT member_id, sum(hours) AS hours FROM training_onlinestudyrecord
    WHERE study_date BETWEEN %(first)s AND %(last)s GROUP BY member_id
),
assignments AS (
    SELECT t.member_id, count(*) AS total,
           count(*) FILTER (WHERE t.status = 'done' AND (t.completed_at AT TIME ZONE %(tz)s)::date <= s.due_on)
               AS on_time
    FROM training_assignmenttarget t JOIN training_assignment s ON s.id = t.assignment_id
    WHERE s.due_on BETWEEN %(first)s AND %(last)s
    GROUP BY t.member_id
),
committee AS (
    SELECT DISTINCT member_id FROM members_post
    WHERE kind IN %(committee)s AND start_on <= %(on)s AND (end_on IS NULL OR end_on >= %(on)s)
)
SELECT p.id, p.branch_id, committee.member_id IS NOT NULL,
       coalesce(a.total, 0), coalesce(a.attended, 0), coalesce(a.hours, 0),
       coalesce(n.submitted, 0), coalesce(n.passed, 0), coalesce(n.excellent, 0), coalesce(n.good, 0),
       coalesce(n.passing, 0), coalesce(n.hours, 0), coalesce(o.hours, 0),
       coalesce(s.total, 0), coalesce(s.on_time, 0)
FROM assessed p
LEFT JOIN attendance a ON a.member_id = p.id
LEFT JOIN notes n ON n.member_id = p.id
LEFT JOIN online o ON o.member_id = p.id
LEFT JOIN assignments s ON s.member_id = p.id
LEFT JOIN committee ON committee.member_id = p.id
"""


def indicators_raw(year: int, on: datetime.date) -> list[tuple]:
    """Return one row per assessed member: id, branch, committee?, then the twelve indicators."""
    from members.querysets import COMMITTEE_POST_KINDS

    params = {
        "year": year,
        "first": datetime.date(year, 1, 1),
        "last": datetime.date(year, 12, 31),
        "on": on,
        "tz": str(timezone.get_default_timezone()),
        "low": _local_midnight(datetime.date(year, 1, 1)),
        "high": _local_midnight(datetime.date(year + 1, 1, 1)),
        "active": ACTIVE_MEMBER,
        "committee": tuple(COMMITTEE_POST_KINDS),
    }
    with connection.cursor() as cursor:
        cursor.execute(INDICATORS, params)
        return cursor.fetchall()


def indicator_totals_raw(rows: list[tuple]) -> dict:
    """Sum each indicator over every member, to compare with the stored rows after a recompute."""
    names = [
        "lessons_total",
        "lessons_attended",
        "centralised_hours",
        "notes_submitted",
        "notes_passed",
        "notes_excellent",
        "notes_good",
        "notes_pass",
        "self_study_hours",
        "online_hours",
        "assignments_total",
        "assignments_on_time",
    ]
    totals = {"members": len(rows), "committee": sum(1 for r in rows if r[2])}
    for i, name in enumerate(names, start=3):
        totals[name] = sum(Decimal(r[i]) for r in rows)
    return totals


def reconcile_raw(year: int, on: datetime.date) -> dict:
    """The plain aggregate SQL that recounts what reconciliation recounts: member totals and month rows."""
    params = dashboard_params(year, on)
    result = {"members": indicators_raw(year, on)}
    with connection.cursor() as cursor:
        for name, sql in (("attendance", ATTENDANCE_PER_BRANCH_MONTH), ("held", HELD_PER_BRANCH_MONTH)):
            cursor.execute(sql, params)
            result[name] = cursor.fetchall()
    return result
