"""The in-process scenarios: pages through Django's test Client, the recompute and the checkup report.

Pages are fetched whole (middleware, view, template) with force_login and
DEBUG off. Times exclude query capture: queries are counted in a separate
request. "Constant" means the page runs as many queries on a smaller
subject as on the bench one; the smaller subject is made inside a
transaction that is rolled back, so the bench database is left as it was.
"""

import datetime
import re
import statistics
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from bench import floors

FROM_TABLE = re.compile(r'\bFROM "?(\w+)"?')


@dataclass
class Row:
    key: str
    scenario: str
    value: str = "—"
    queries: str = "—"
    floor: str = "—"
    ratio: str = "—"
    target: str = "—"
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    load: str = "—"  # the machine's load average before → after the scenario (bench.run)


@dataclass
class Timing:
    median: float
    samples: list[float]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def measure(fn, runs: int, *, warm_up: bool = True) -> Timing:
    """Time *fn* *runs* times after one untimed call; return the median and every sample."""
    if warm_up:
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return Timing(statistics.median(samples), samples)


def measure_interleaved(fns: dict, runs: int) -> dict[str, Timing]:
    """Time several callables in turn, run after run, so that drift in the machine's load hits each alike."""
    for fn in fns.values():
        fn()
    samples = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - started)
    return {name: Timing(statistics.median(values), values) for name, values in samples.items()}


def count_queries(fn):
    with CaptureQueriesContext(connection) as context:
        fn()
    return context.captured_queries


class Rollback(Exception):
    pass


def count_in_rollback(change, fn) -> int:
    """Count *fn*'s queries after *change*, inside a transaction that is then rolled back."""
    captured = []
    try:
        with transaction.atomic():
            change()
            captured = count_queries(fn)
            raise Rollback
    except Rollback:
        pass
    return len(captured)


def _user(username: str):
    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise SystemExit(f"No account named {username!r} in this database.") from None


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(_user(username))
    return client


def fetch(client: Client, url: str):
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return response

    return get


def slowest(captured, n: int = 3) -> list[tuple[float, str]]:
    return sorted(((float(q["time"]), q["sql"]) for q in captured), reverse=True)[:n]


def describe_slowest(captured, n: int = 3) -> str:
    """Return "920 ms (training_attendance); …": each slow query with the first table it reads."""
    parts = []
    for seconds, sql in slowest(captured, n):
        match = FROM_TABLE.search(sql)
        parts.append(f"{seconds * 1000:,.0f} ms ({match.group(1) if match else sql[:20]})")
    return "; ".join(parts)


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def write_explain(path, title: str, captured, n: int = 3) -> None:
    """Write the *n* slowest SELECTs of a capture with their EXPLAIN ANALYZE plans."""
    lines = [f"# {title}", ""]
    for seconds, sql in slowest([q for q in captured if q["sql"].lstrip().upper().startswith("SELECT")], n):
        lines += [f"## {seconds * 1000:.0f} ms", "", sql, "", explain(sql), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


# --- a. the leadership dashboard -------------------------------------------


def dashboard_scenario(opts) -> Row:
    from assessments.selectors.ranking import tree_dashboard
    from branches.models import Branch

    row = Row("a", "Leadership dashboard (reads the figures ledger) ÷ raw SQL on the same ledger rows")
    client = client_for(opts.leader)
    get = fetch(client, f"{reverse('assessments:dashboard')}?year={opts.year}")
    today = timezone.localdate()
    timings = measure_interleaved(
        {
            "page": get,
            "floor": lambda: floors.dashboard_raw(opts.year, today),
            # As the page reads it: the cards and the first page of the ranking by score.
            "selector": lambda: tree_dashboard(opts.year, order="score", size=floors.PAGE_SIZE, today=today),
        },
        opts.runs,
    )
    page, floor, selector = timings["page"], timings["floor"], timings["selector"]
    captured = count_queries(get)

    def halve_branches():
        ids = list(Branch.objects.branches_only().active().order_by("pk").values_list("pk", flat=True))
        Branch.objects.filter(pk__in=ids[::2]).update(is_active=False)

    smaller = count_in_rollback(halve_branches, get)
    constant = smaller == len(captured)
    ratio = page.median / floor.median if floor.median else float("inf")
    fast_enough = page.median <= 0.1 and (ratio <= 1.5 or (floor.median < 0.1 and page.median - floor.median <= 0.05))
    row.value = ms(page.median)
    row.queries = f"{len(captured)} ({'constant' if constant else f'{smaller} with half the branches'})"
    row.floor = f"{ms(floor.median)} ({len(floors.DASHBOARD_STATEMENTS)} statements)"
    row.ratio = f"{ratio:.2f}"
    row.target = "median ≤ 100 ms; ≤ 1.5 (or ≤ floor + 50 ms when the floor < 100 ms); constant queries"
    row.met = fast_enough and constant
    row.notes.append(
        f"tree_dashboard() alone, as the page reads it, takes {ms(selector.median)}; the rest of the page "
        f"(roles, interaction table, charts, template) {ms(max(page.median - selector.median, 0))}."
    )
    app = tree_dashboard(opts.year, order="score", size=floors.PAGE_SIZE, today=today)
    same = floors.dashboard_key_figures(*app) == floors.dashboard_key_figures_raw(
        floors.dashboard_raw(opts.year, today)
    )
    row.notes.append(
        "Floor check: the raw SQL on the branch-and-year rows gives the same cards, number of branches ranked, "
        "first ranking page (order, members, hours, lessons held, attendance, plan, overdue) and monthly trend "
        "as tree_dashboard()."
        if same
        else "Floor check FAILED: the raw SQL figures differ from dashboard(year); the ratio is not comparable."
    )
    row.notes.append(f"Slowest queries: {describe_slowest(captured)}.")
    if opts.explain_dir:
        write_explain(opts.explain_dir / "a-dashboard.txt", "Leadership dashboard", captured)
    return row


# --- b. pages ----------------------------------------------------------------


def _page_row(key: str, name: str, get, runs: int, others: list[int] | None, label: str, opts) -> Row:
    """Time a page and count its queries; constant when the counts in *others* are all equal.

    *others* holds the counts on the bench subject and on a smaller one
    (None: not checked); the page's own count is added when it is a single
    number, as for a page compared with itself on less data.
    """
    timing = measure(get, runs)
    captured = count_queries(get)
    row = Row(key, name, value=ms(timing.median), target="constant queries")
    row.queries = str(len(captured))
    if others is not None:
        counts = [len(captured), *others] if len(others) == 1 else others
        row.met = len(set(counts)) == 1
        row.queries += " (constant)" if row.met else f" (varies: {' vs '.join(str(n) for n in counts)})"
        row.notes.append(f"{name}: query count compared {label}.")
    row.notes.append(f"{name}: slowest queries {describe_slowest(captured)}.")
    if opts.explain_dir:
        write_explain(opts.explain_dir / f"{key}.txt", name, captured)
    return row


def _halve_member_rows(member) -> None:
    """Delete every other row of the member's attendance, notes, online hours and assignments."""
    from training.models import AssignmentTarget, Attendance, OnlineStudyRecord, StudyNote

    for model in (Attendance, StudyNote, OnlineStudyRecord, AssignmentTarget):
        ids = list(model.objects.filter(member=member).order_by("pk").values_list("pk", flat=True))
        with transaction.atomic():
            model.objects.filter(pk__in=ids[1::2]).delete()


def page_scenarios(opts) -> list[Row]:
    from branches.models import Branch
    from members.permissions import roles_for
    from training.models import StudyNote

    secretary = client_for(opts.secretary)
    roles = roles_for(_user(opts.secretary))
    if not roles.committee_branch_ids:
        raise RuntimeError(f"{opts.secretary} holds no committee post: no branch page or review queue.")
    branch_id = min(roles.committee_branch_ids)
    rows = []

    # The branch page, as its secretary. Constancy: leadership's view of the
    # largest and the smallest branch among those with the same sections
    # (a study plan for the year): a page may skip a query for an empty
    # section, but must not add one per row.
    leader = client_for(opts.leader)
    active = Q(members__status__in=["full", "probationary"])
    sizes = (
        Branch.objects.branches_only()
        .active()
        .filter(study_plans__year=opts.year)
        .annotate(n=Count("members", filter=active, distinct=True))
        .order_by("n", "pk")
    )
    small, large = sizes.first(), sizes.last()
    get_branch = fetch(secretary, reverse("branches:branch_detail", args=[branch_id]))
    if small is None or small.pk == large.pk:
        row = _page_row("b1", "Branch page", get_branch, opts.runs, None, "", opts)
        row.notes.append("Branch page: fewer than two branches with a study plan: constancy not checked.")
    else:
        counts = [
            len(count_queries(fetch(leader, reverse("branches:branch_detail", args=[b.pk])))) for b in (large, small)
        ]
        row = _page_row(
            "b1",
            "Branch page",
            get_branch,
            opts.runs,
            counts,
            f"as leadership on the largest and smallest planned branch ({large.n} and {small.n} members)",
            opts,
        )
    rows.append(row)

    # The member's own progress page, against the same page with half of
    # their attendance, notes, online hours and assignments removed.
    member_client = client_for(opts.member)
    member = roles_for(_user(opts.member)).member
    get_progress = fetch(member_client, f"{reverse('progress:my_progress')}?year={opts.year}")
    halved = count_in_rollback(lambda: _halve_member_rows(member), get_progress)
    rows.append(
        _page_row(
            "b2",
            "Member's progress page",
            get_progress,
            opts.runs,
            [halved],
            "with half of the member's rows removed",
            opts,
        )
    )

    # The review queue, as the secretary, against a queue of one note.
    queue = StudyNote.objects.filter(status="submitted", member__branch_id__in=roles.committee_branch_ids)
    waiting = queue.count()

    def shorten_queue():
        keep = queue.order_by("submitted_at", "pk").values_list("pk", flat=True).first()
        StudyNote.objects.filter(pk__in=queue.exclude(pk=keep).values("pk")).update(status="draft")

    get_queue = fetch(secretary, reverse("selfstudy:review_queue"))
    one = count_in_rollback(shorten_queue, get_queue)
    row = _page_row("b3", "Review queue", get_queue, opts.runs, [one], "with one note waiting", opts)
    row.notes.append(f"Review queue: {waiting} notes waiting in the secretary's branches.")
    if waiting < 2:
        row.notes.append("Review queue: too few notes waiting for the constancy check to mean anything.")
    rows.append(row)
    return rows


# --- c. the year-end recompute ---------------------------------------------


def recompute_scenario(opts) -> Row:
    from assessments.models import YearEndAssessment
    from assessments.services.indicators import indicators_recompute
    from training.services.figures import reference_day

    row = Row("c", "Year-end recompute (all members) ÷ one SQL aggregate")
    counted = {}

    def recompute():
        counted["members"] = indicators_recompute(opts.year)

    on = reference_day(opts.year)
    timings = measure_interleaved(
        {"recompute": recompute, "floor": lambda: floors.indicators_raw(opts.year, on)}, opts.runs
    )
    timing, floor = timings["recompute"], timings["floor"]
    captured = count_queries(recompute)
    ratio = timing.median / floor.median if floor.median else float("inf")
    row.value = f"{ms(timing.median)} ({counted['members']:,} members)"
    row.queries = str(len(captured))
    row.floor = ms(floor.median)
    row.ratio = f"{ratio:.2f}"
    row.target = "≤ 2"
    row.met = ratio <= 2
    raw = floors.indicators_raw(opts.year, on)
    ids = {r[0] for r in raw}
    stored = floors.indicator_totals_raw(
        [
            (r[0], None, r[1] == "committee", *r[2:])
            for r in YearEndAssessment.objects.filter(year=opts.year).values_list(
                "member_id",
                "role",
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
            )
            if r[0] in ids
        ]
    )
    same = stored == floors.indicator_totals_raw(raw)
    row.notes.append(
        "Floor check: the SQL aggregate's totals (members, committee, lessons, hours, notes, assignments) "
        "equal the stored rows after the recompute."
        if same
        else f"Floor check FAILED: stored {stored} ≠ raw {floors.indicator_totals_raw(raw)}."
    )
    row.notes.append(f"Recompute's slowest queries: {describe_slowest(captured)}.")
    if opts.explain_dir:
        write_explain(opts.explain_dir / "c-recompute.txt", "Year-end recompute", captured)
    return row


# --- g. reconciliation, h. the incremental recompute --------------------------


def reconcile_scenario(opts) -> Row:
    from training.services.figures import reference_day
    from training.services.reconcile import reconcile_year

    row = Row("g", "Full reconciliation of one year ÷ the plain aggregate SQL of the same totals")
    on = reference_day(opts.year)
    found = {}

    def reconcile():
        found["differences"] = reconcile_year(opts.year)

    timings = measure_interleaved(
        {"reconcile": reconcile, "floor": lambda: floors.reconcile_raw(opts.year, on)}, opts.runs
    )
    timing, floor = timings["reconcile"], timings["floor"]
    ratio = timing.median / floor.median if floor.median else float("inf")
    differences = found["differences"]
    row.value = f"{ms(timing.median)} ({len(differences)} differences)"
    row.queries = str(len(count_queries(reconcile)))
    row.floor = ms(floor.median)
    row.ratio = f"{ratio:.2f}"
    row.target = "≤ 2; 0 differences"
    row.met = ratio <= 2 and not differences
    for difference in differences[:5]:
        row.notes.append(f"Difference: {difference}.")
    return row


def incremental_scenario(opts) -> Row:
    """One attendance save of 200 members at a held lesson, then the worker's recount; rolled back each run."""
    from members.models import Member, StaleFigures
    from training.models import Attendance, Lesson
    from training.services.figures import figures_refresh
    from training.services.lessons import attendance_mark

    row = Row("h", "Incremental recount after one 200-member attendance save (worker time)")
    lesson = (
        Lesson.objects.filter(status="held", start__year=opts.year, organiser__parent__isnull=False)
        .order_by("-start")
        .first()
    )
    members = list(
        Member.objects.active()
        .filter(branch__parent_id=lesson.organiser.parent_id)
        .exclude(attendances__lesson=lesson)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    actor = _user(opts.leader)
    samples, counted = [], {}
    for _ in range(opts.runs):
        with transaction.atomic():
            Attendance.objects.bulk_create([Attendance(lesson=lesson, member_id=pk) for pk in members])
            attendance_mark(lesson=lesson, marks={pk: ("present", "补录") for pk in members}, actor=actor)
            counted["marks"] = StaleFigures.objects.count()
            started = time.perf_counter()
            figures_refresh()
            samples.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    median = statistics.median(samples)
    row.value = f"{ms(median)} ({len(members)} members, {counted['marks']} stale marks)"
    row.target = "≤ 200 ms"
    row.met = median <= 0.2 and len(members) == 200
    row.notes.append(f"Incremental recount samples: {', '.join(ms(s) for s in samples)}.")
    return row


# --- e. the checkup report ---------------------------------------------------


def report_scenario(opts) -> Row:
    from assessments.exports.reports import report_pdf, report_xlsx
    from assessments.selectors.reports import report_figures

    row = Row("e", "Bureau checkup report, year (figures + PDF + XLSX)")
    start, end = datetime.date(opts.year, 1, 1), datetime.date(opts.year, 12, 31)
    parts = {"figures": [], "pdf": [], "xlsx": []}
    sizes = {}

    def compile_once():
        with translation.override(settings.LANGUAGE_CODE):
            t0 = time.perf_counter()
            figures = report_figures(period="year", start=start, end=end, branch=None)
            t1 = time.perf_counter()
            sizes["pdf"] = len(report_pdf(figures))
            t2 = time.perf_counter()
            sizes["xlsx"] = len(report_xlsx(figures))
            t3 = time.perf_counter()
        parts["figures"].append(t1 - t0)
        parts["pdf"].append(t2 - t1)
        parts["xlsx"].append(t3 - t2)

    runs = max(1, min(opts.runs, opts.report_runs))
    # A compile takes seconds: the untimed first one counts the queries.
    captured = count_queries(compile_once)
    timing = measure(compile_once, runs, warm_up=False)
    medians = {name: statistics.median(samples[1:]) for name, samples in parts.items()}
    row.value = ms(timing.median)
    row.queries = str(len(captured))
    row.target = "< 5 s"
    row.met = timing.median < 5
    row.notes.append(
        f"Report: figures {ms(medians['figures'])}, PDF {ms(medians['pdf'])} ({sizes['pdf'] / 1024:,.0f} KiB), "
        f"XLSX {ms(medians['xlsx'])} ({sizes['xlsx'] / 1024:,.0f} KiB); median of {runs} runs."
    )
    return row


# --- a2, a3. subtree dashboards ------------------------------------------------


def subtree_dashboard_scenarios(opts) -> list[Row]:
    """A general branch's dashboard as its secretary, and a second bureau's as its scoped leadership."""
    from branches.models import Branch
    from members.models import Member
    from members.permissions import roles_for

    cases = (
        ("a2", opts.gb_secretary, "General branch's dashboard (its subtree, as its secretary)", 0.05),
        ("a3", opts.leader2, "Second bureau's dashboard (its tree, as its scoped leadership)", 0.1),
    )
    rows = []
    for key, username, name, target in cases:
        row = Row(key, name, target=f"median ≤ {target * 1000:.0f} ms; constant queries")
        if not get_user_model().objects.filter(username=username).exists():
            row.met = False
            row.notes.append(f"{name}: no login {username}; rebuild the scale data (seed_demo --scale city).")
            rows.append(row)
            continue
        roles = roles_for(_user(username))
        ids = roles.committee_branch_ids if not roles.is_leadership else roles.led_branch_ids or frozenset()
        top = Branch.objects.filter(pk__in=ids).order_by("depth").first()
        get = fetch(client_for(username), f"{reverse('assessments:dashboard')}?year={opts.year}")
        timing = measure(get, opts.runs)
        captured = count_queries(get)

        def halve_subtree(top=top):
            branch_ids = list(
                Branch.objects.subtree_of(top).filter(kind="branch").order_by("pk").values_list("pk", flat=True)
            )
            Branch.objects.filter(pk__in=branch_ids[::2]).update(is_active=False)

        smaller = count_in_rollback(halve_subtree, get)
        constant = smaller == len(captured)
        branches = Branch.objects.subtree_of(top).filter(kind="branch").count()
        members = Member.objects.filter(branch__path__startswith=top.path).count()
        row.value = ms(timing.median)
        row.queries = f"{len(captured)} ({'constant' if constant else f'{smaller} with half the branches'})"
        row.met = timing.median <= target and constant
        row.notes.append(f"{name}: {top.name}, {branches} branches, {members} members.")
        row.notes.append(f"{name}: slowest queries {describe_slowest(captured)}.")
        if opts.explain_dir:
            write_explain(opts.explain_dir / f"{key}-subtree-dashboard.txt", name, captured)
        rows.append(row)
    return rows
