"""Run the benchmarks and print one table: each scenario's median, query count and ratio to its floor.

    python -m bench.run --database-url postgres://postgres@127.0.0.1:5432/party_bench \\
        --member bench_member --secretary bench_secretary --leader bench_leader --runs 5 [--only a,b]

Scenarios: a. leadership dashboard ÷ raw SQL; b. branch page, member's
progress page, review queue; c. year-end recompute ÷ one SQL aggregate;
d. reminder sweep through a real worker ÷ no-op tasks; e. the bureau's
checkup report (PDF and XLSX); f. HTTP home page under load ÷ one-query
page; i. a live session: 500 phones polling every 2 s and answering one
poll. Settings are config.settings.bench (DEBUG off). The sweep and the
HTTP run start their own worker and server and stop them afterwards.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import django

SCENARIOS = "abcdefghi"
BASE_DIR = Path(__file__).resolve().parent.parent


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL URL to bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15", help="broker for the bench worker")
    parser.add_argument("--member", required=True, help="a member's username (progress page, home page)")
    parser.add_argument("--secretary", required=True, help="a branch secretary's username (branch page, queue)")
    parser.add_argument("--leader", required=True, help="a leadership username (dashboard)")
    parser.add_argument("--gb-secretary", default="bench_gb_secretary", help="a 党总支 secretary (subtree dashboard)")
    parser.add_argument("--leader2", default="bench_leader2", help="a second bureau's scoped leadership (a3)")
    parser.add_argument("--password", default="dangyuan-2026", help="the member's password, for the HTTP logins")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per in-process scenario (median)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios to run, e.g. a,b")
    parser.add_argument("--year", type=int, default=None, help="the year of the figures (default: this year)")
    parser.add_argument("--report-runs", type=int, default=3, help="at most this many runs of the report (e)")
    parser.add_argument("--recipients", type=int, default=10_000, help="SMS in the sweep (d)")
    parser.add_argument("--sweep-runs", type=int, default=3, help="runs of the sweep and of its floor (d)")
    parser.add_argument("--sweep-timeout", type=float, default=300, help="seconds before a sweep run gives up")
    parser.add_argument("--concurrency", type=int, default=None, help="worker processes (default: one per CPU)")
    parser.add_argument("--users", type=int, default=20, help="concurrent locust users (f)")
    parser.add_argument("--duration", default="30s", help="locust run time per page (f)")
    parser.add_argument("--http-workers", type=int, default=2, help="gunicorn workers (f, i)")
    parser.add_argument("--phones", type=int, default=500, help="simulated phones in the live session (i)")
    parser.add_argument("--live-duration", default="40s", help="locust run time of the live session (i)")
    parser.add_argument("--live-threads", type=int, default=8, help="gthread threads per worker (i; 0: sync)")
    parser.add_argument("--output", type=Path, default=None, help="also write the table to this file")
    parser.add_argument("--work-dir", type=Path, default=BASE_DIR / "var" / "bench", help="logs and CSVs")
    parser.add_argument("--explain", action="store_true", help="write EXPLAIN ANALYZE of slow queries to work-dir")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, not only on errors")
    opts = parser.parse_args(argv)
    if not opts.database_url or not opts.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL (or set DATABASE_URL)")
    opts.only = [s.strip() for s in opts.only.split(",") if s.strip()]
    unknown = set(opts.only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))} (choose from {', '.join(SCENARIOS)})")
    return opts


def setup(opts) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    os.environ["DATABASE_URL"] = opts.database_url
    os.environ["CELERY_BROKER_URL"] = opts.redis_url
    django.setup()
    from django.utils import timezone

    import config  # noqa: F401 - binds the tasks to the configured Celery app

    opts.year = opts.year or timezone.localdate().year
    # Count whatever waits (after a migration, every year) before measuring, as the worker would.
    from training.services.figures import figures_refresh

    figures_refresh()
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    opts.explain_dir = opts.work_dir if opts.explain else None


def database_summary(opts) -> str:
    from django.db import connection

    tables = {
        "branches_branch": "organisations",
        "members_member": "members",
        "training_lesson": "lessons",
        "training_attendance": "attendance rows",
        "training_studynote": "notes",
        "assessments_yearendassessment": "year-end rows",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0]
        counts = []
        for table, label in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts.append(f"{cursor.fetchone()[0]:,} {label}")
    return f"`{name}`: " + ", ".join(counts)


def calibrate() -> float:
    """Milliseconds for a fixed pure-Python loop (a million multiply-adds), the best of five.

    The shared machine's speed drifts by a third or more over minutes with its
    load average unchanged (the same loop: 41 to 78 ms); this figure, taken
    before and after the run, says how quick the CPU was while the absolute
    times were measured.
    """
    best = float("inf")
    for _ in range(5):
        started, total = time.perf_counter(), 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return best * 1000


def render(rows, opts, summary: str, elapsed: float, speed: tuple[float, float] | None = None) -> str:
    from django.utils import timezone

    header = ["", "Scenario", "Median", "Queries", "Floor", "Ratio", "Target", "Met", "Load before → after"]
    lines = [
        "# Benchmarks (make bench)",
        "",
        f"Database {summary}. Year {opts.year}. {opts.runs} runs per in-process scenario (median). "
        f"Run {timezone.localtime():%Y-%m-%d %H:%M %Z} on {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"in {elapsed / 60:.1f} min.",
        "",
        f"Load: the machine's 1-minute load average just before and just after each scenario; above "
        f"{os.cpu_count()} (the CPUs) other work was competing for them, marked **busy**. Each floor is "
        "measured in the same run, alternating with its scenario, so both see the same load.",
        "",
        *(
            [
                f"CPU speed: a fixed pure-Python loop (a million multiply-adds) took {speed[0]:.0f} ms before the "
                f"run and {speed[1]:.0f} ms after (best of five; this machine has taken 41 to 78 ms for it), "
                "so absolute times are only comparable between runs at a similar speed.",
                "",
            ]
            if speed
            else []
        ),
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        met = {True: "met", False: "**missed**", None: "—"}[row.met]
        cells = [row.key, row.scenario, row.value, row.queries, row.floor, row.ratio, row.target, met, row.load]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    notes = [(row.key, note) for row in rows for note in row.notes]
    if notes:
        lines += ["", "Notes:", ""] + [f"- ({key}) {note}" for key, note in notes]
    return "\n".join(lines) + "\n"


def load_label(before: float, after: float) -> str:
    """Return "0.8 → 1.2", marked busy when either is above the number of CPUs."""
    busy = max(before, after) > (os.cpu_count() or 1)
    return f"{before:.1f} → {after:.1f}" + (" **busy**" if busy else "")


def main(argv=None) -> int:
    opts = parse_args(argv)
    setup(opts)
    from bench import http, live, scenarios, sweep

    started = time.perf_counter()
    speed_before = calibrate()
    summary = database_summary(opts)
    plan = {
        "a": lambda: [scenarios.dashboard_scenario(opts), *scenarios.subtree_dashboard_scenarios(opts)],
        "b": lambda: scenarios.page_scenarios(opts),
        "c": lambda: [scenarios.recompute_scenario(opts)],
        "d": lambda: [sweep.sweep_scenario(opts)],
        "e": lambda: [scenarios.report_scenario(opts)],
        "f": lambda: [http.http_scenario(opts)],
        "g": lambda: [scenarios.reconcile_scenario(opts)],
        "h": lambda: [scenarios.incremental_scenario(opts)],
        "i": lambda: [live.live_scenario(opts)],
    }
    rows, failed = [], []
    for key in SCENARIOS:
        if key not in opts.only:
            continue
        print(f"bench: scenario {key} …", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        load_before = os.getloadavg()[0]
        try:
            done = plan[key]()
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not hide the others
            failed.append(key)
            done = [scenarios.Row(key, f"scenario {key} failed", met=False, notes=[f"{type(exc).__name__}: {exc}"])]
        for row in done:
            row.load = load_label(load_before, os.getloadavg()[0])
        rows += done
        print(f"bench: scenario {key} took {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    table = render(rows, opts, summary, time.perf_counter() - started, (speed_before, calibrate()))
    print(table)
    if opts.output:
        opts.output.parent.mkdir(parents=True, exist_ok=True)
        opts.output.write_text(table, encoding="utf-8")
    if failed or (opts.strict and any(row.met is False for row in rows)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
