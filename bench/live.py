"""i. Live session: 500 phones through gunicorn, each polling the live state every 2 s and answering one poll.

Setup (in the bench database): a branch "live-bench" with 500
members who have accounts, a lesson under way with all of them checked in,
and one open poll. The phones are already logged in: their sessions are
made here (500 password hashes would measure the login, not the session),
with the lesson remembered as the phone page does. Locust
(bench/locust_live.py) runs the phones; right after the last answer the
projector's count (the selector its view renders) is compared with the
answers in the database and with the answers locust saw accepted. Nothing
is left behind: cleanup() removes the branch, people, lesson and sessions.
"""

import csv
import json
import os
import subprocess
import time

from bench.http import _bin, free_port, start_gunicorn, stop, wait_until_up
from bench.scenarios import Row

PHONES = 500
BRANCH_CODE = "live-bench"
USER_PREFIX = "live_bench_"
P95_TARGET_MS = 200


def _session_for(user, lesson_id: int, member_id: int) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from members.middleware import LAST_SEEN, LOGIN_AT

    session = SessionStore()
    now = int(time.time())
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[LOGIN_AT] = now
    session[LAST_SEEN] = now
    session["live_lessons"] = [lesson_id]
    session["live_member"] = member_id
    session.set_expiry(settings.SESSION_COOKIE_AGE)
    session.create()
    return session.session_key


def prepare(phones: int = PHONES):
    """Return (lesson, poll, [session keys]), building what is missing.

    Nothing here writes a membership or a post, so the figures ledger has
    nothing to recount; cleanup() removes it all afterwards.
    """
    import datetime

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from branches.models import Branch
    from members.models import Member
    from training.models import Attendance, Lesson, LessonHost
    from training.services.live import live_item_create, live_item_open

    User = get_user_model()
    with transaction.atomic():
        branch, _created = Branch.objects.get_or_create(
            code=BRANCH_CODE, defaults={"name": "互动课堂压测支部", "kind": Branch.Kind.BRANCH}
        )
        existing = set(User.objects.filter(username__startswith=USER_PREFIX).values_list("username", flat=True))
        new_users = [
            User(username=f"{USER_PREFIX}{n:04d}") for n in range(phones + 1) if f"{USER_PREFIX}{n:04d}" not in existing
        ]
        for user in new_users:
            user.set_unusable_password()
        User.objects.bulk_create(new_users)
        users = list(User.objects.filter(username__startswith=USER_PREFIX).order_by("username")[: phones + 1])
        have = set(Member.objects.filter(user__in=users).values_list("user_id", flat=True))
        for user in users:
            if user.pk not in have:
                Member.objects.create(
                    user=user,
                    branch=branch,
                    full_name=f"压测党员{user.username[-4:]}",
                    joined_party_on=datetime.date(2005, 7, 1),
                    full_member_on=datetime.date(2006, 7, 1),
                )
        now = timezone.now()
        lesson = Lesson.objects.create(
            title="互动课堂压测",
            kind=Lesson.Kind.PARTY_LESSON,
            organiser=branch,
            start=now - datetime.timedelta(minutes=5),
            end=now + datetime.timedelta(hours=2),
            status=Lesson.Status.PUBLISHED,
            outside_place="压测",
            credit_hours=2,
        )
        LessonHost.objects.create(lesson=lesson, branch=branch, is_organiser=True, status="accepted")
        phone_members = list(Member.objects.filter(user__in=users[1:]))
        Attendance.objects.bulk_create(
            [Attendance(lesson=lesson, member=m, status="present", checked_in_at=now) for m in phone_members]
        )
        poll = live_item_create(
            lesson=lesson, kind="poll", text="压测投票", options=["甲", "乙", "丙", "丁"], actor=users[0]
        )
    poll = live_item_open(item=poll, actor=users[0])
    member_of = dict(Member.objects.filter(user__in=users[1:]).values_list("user_id", "pk"))
    sessions = [_session_for(user, lesson.pk, member_of[user.pk]) for user in users[1:]]
    return lesson, poll, sessions


def cleanup(session_keys=()) -> None:
    """Remove the scenario's branch, people, lessons and sessions, so other scenarios count what they did."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.db import transaction

    from branches.models import Branch
    from members.models import Member
    from training.models import Attendance, Lesson, LiveAnswer

    with transaction.atomic():
        branch = Branch.objects.filter(code=BRANCH_CODE).first()
        if branch is None:
            return
        lessons = Lesson.objects.filter(organiser=branch)
        LiveAnswer.objects.filter(item__lesson__in=lessons).delete()
        Attendance.objects.filter(lesson__in=lessons).delete()
        lessons.delete()
        Member.objects.filter(branch=branch).delete()
        get_user_model().objects.filter(username__startswith=USER_PREFIX).delete()
        branch.delete()
        Session.objects.filter(session_key__in=list(session_keys)).delete()


def live_scenario(opts) -> Row:
    from training.models import LiveAnswer, LiveItem
    from training.selectors.live import item_result

    phones = getattr(opts, "phones", PHONES)
    threads = getattr(opts, "live_threads", 0)
    kind = f"gthread ×{opts.http_workers}×{threads}" if threads else f"sync ×{opts.http_workers}"
    row = Row("i", f"Live session: {phones} phones polling every 2 s, one answer each, gunicorn {kind}")
    cleanup()
    lesson, poll, sessions = prepare(phones)
    work = opts.work_dir
    work.mkdir(parents=True, exist_ok=True)
    sessions_file = work / "live-sessions.json"
    sessions_file.write_text(json.dumps(sessions))
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    log_path = work / "gunicorn-live.log"
    os.environ["CACHE_URL"] = opts.redis_url  # every worker shares the live state's version
    access_path = work / "gunicorn-live-access.log"
    access_path.unlink(missing_ok=True)
    # The time gunicorn spent on each request (microseconds), apart from any
    # wait in the load generator, which shares the machine's two cores.
    extra = ["--access-logfile", str(access_path), "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"]
    if getattr(opts, "live_threads", 0):
        # Threads keep the phones' connections alive between polls.
        extra += ["--worker-class", "gthread", "--threads", str(opts.live_threads)]
    server = start_gunicorn(opts, port, log_path, extra)
    prefix = work / "locust-live"
    try:
        wait_until_up(f"{host}/healthz", server)
        env = {
            **os.environ,
            "BENCH_LIVE_SESSIONS": str(sessions_file),
            "BENCH_LIVE_LESSON": str(lesson.pk),
            "BENCH_LIVE_ITEM": str(poll.pk),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        command = [
            _bin("locust"),
            "-f",
            os.path.join(os.path.dirname(__file__), "locust_live.py"),
            "--headless",
            "-u",
            str(phones),
            "-r",
            str(min(phones, 100)),
            "-t",
            getattr(opts, "live_duration", "40s"),
            "--csv",
            str(prefix),
            "--host",
            host,
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        with open(f"{prefix}.log", "w") as log:
            started = time.monotonic()
            subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=900, check=False)
            elapsed = time.monotonic() - started
        # The projector polls every second and renders item_result's count:
        # read it right after the last answer, as its next poll would.
        shown = item_result(LiveItem.objects.get(pk=poll.pk)).answered
    finally:
        stop(server)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        stats = {r["Name"]: r for r in csv.DictReader(handle)}
    polls, answers, total = stats.get("poll"), stats.get("answer"), stats["Aggregated"]
    if polls is None or answers is None:
        raise RuntimeError(f"locust made no poll or answer; see {prefix}.log")
    stored = LiveAnswer.objects.filter(item=poll).count()
    cleanup(sessions)
    accepted = int(answers["Request Count"]) - int(answers["Failure Count"])
    p95 = float(polls["95%"])
    server_times = sorted(
        int(parts[3]) / 1000
        for parts in (line.split() for line in access_path.read_text().splitlines())
        if len(parts) == 4 and parts[0] == "GET" and parts[1].endswith("/live/items/")
    )
    server_p95 = server_times[int(len(server_times) * 0.95)] if server_times else 0.0
    failures = int(total["Failure Count"])
    row.value = (
        f"poll p50 {float(polls['50%']):.0f} ms, p95 {p95:.0f} ms at the phones; "
        f"p95 {server_p95:.1f} ms in gunicorn; {float(polls['Requests/s']):,.0f} req/s"
    )
    row.queries = "—"
    row.floor = f"answer p95 {float(answers['95%']):.0f} ms"
    row.ratio = f"projector {shown} / stored {stored} / accepted {accepted}"
    row.target = f"poll p95 ≤ {P95_TARGET_MS} ms; no errors; projector = answers"
    row.met = p95 <= P95_TARGET_MS and failures == 0 and shown == stored == accepted == phones
    row.notes.append(
        f"Live: the load generator (locust, {phones} users) runs on the same two cores as gunicorn and "
        f"PostgreSQL; 'at the phones' includes its own waits, 'in gunicorn' is the server's time per poll "
        f"({len(server_times):,} polls logged, whole run)."
    )
    row.notes.append(
        f"Live: {int(polls['Request Count']):,} polls and {int(answers['Request Count'])} answers in "
        f"{elapsed:.0f} s; failures {failures}; the projector read {shown} answers right after the last one."
    )
    return row
