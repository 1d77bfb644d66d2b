"""Celery reads only CELERY_* names and ignores a misspelt one, so pin what matters."""

from django.conf import settings

from config.celery import app


def test_celery_settings_reach_the_app():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit == 15 * 60
    assert app.conf.task_soft_time_limit == 14 * 60
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_routes["training.tasks.*"] == {"queue": "reminders"}
    assert app.conf.task_routes["assessments.tasks.*"] == {"queue": "reports"}


def test_redis_visibility_timeout_exceeds_the_longest_task():
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_site_defaults():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def test_beat_keeps_the_figures_ledger_fresh_and_reconciles_it_nightly():
    refresh = app.conf.beat_schedule["refresh-figures"]
    assert refresh["task"] == settings.FIGURES_REFRESH_TASK == "training.tasks.refresh_figures"
    assert refresh["schedule"] == 60.0
    new_day = app.conf.beat_schedule["recompute-current-year"]
    assert new_day["task"] == "training.tasks.recompute_current_year"
    assert new_day["schedule"].hour == {0} and new_day["schedule"].minute == {5}
    reconcile = app.conf.beat_schedule["reconcile-figures"]
    assert reconcile["task"] == "training.tasks.reconcile_figures"
    assert reconcile["schedule"].hour == {2} and reconcile["schedule"].minute == {0}
    assert len(reconcile["schedule"].month_of_year) == 12  # every night of the year


# Tasks that may run twice without harm (they claim work or are idempotent) and
# so may be acknowledged late and redelivered when a worker dies.
SAFE_TO_REDELIVER = {
    "members.tasks.deliver_notification",
    "members.tasks.deliver_notifications",
    "assessments.tasks.recompute_year_end_indicators",
    "training.tasks.send_absence_warnings",
    "training.tasks.refresh_figures",
    "training.tasks.recompute_current_year",
    "training.tasks.reconcile_figures",
}


def _our_tasks():
    app.loader.import_default_modules()
    return {
        name: task for name, task in app.tasks.items() if name.split(".")[0] in {"members", "training", "assessments"}
    }


def test_late_acknowledgement_only_for_tasks_safe_to_run_twice():
    tasks = _our_tasks()
    late = {name for name, task in tasks.items() if task.acks_late}
    assert SAFE_TO_REDELIVER <= late
    assert late <= SAFE_TO_REDELIVER | {"assessments.tasks.compile_checkup_report"}
    assert "assessments.tasks.compile_checkup_report" in late
    for name in late:
        assert tasks[name].reject_on_worker_lost is True, name
    assert app.conf.task_acks_late is False  # never globally


def test_every_task_has_a_time_limit_and_a_queue():
    for name in _our_tasks():
        route = app.amqp.router.route({}, name)
        assert route["queue"].name in {"reminders", "reports"}, name
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_one_scheduler_and_a_schedule_in_code():
    assert app.conf.beat_scheduler == "config.beat:SingleBeatScheduler"
    assert {
        "requeue-notifications",
        "lesson-reminders",
        "assignment-reminders",
        "secretary-digest",
        "escalate-lesson-reminders",
    } <= set(app.conf.beat_schedule)
    # Every scheduled name is a registered task once the task modules are
    # imported, as a worker imports them; a misspelt name would never run.
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_redis_visibility_timeout_is_set_above_the_hard_limit_when_on_redis(monkeypatch):
    import importlib

    import config.settings.base as base

    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    reloaded = importlib.reload(base)
    try:
        assert reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > reloaded.CELERY_TASK_TIME_LIMIT
    finally:
        monkeypatch.undo()
        importlib.reload(base)


def test_beat_compiles_last_months_reports_on_the_first_at_three():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["compile-monthly-reports"]
    assert entry["task"] == "assessments.tasks.compile_monthly_reports"
    schedule = entry["schedule"]
    assert schedule.minute == {0} and schedule.hour == {3} and schedule.day_of_month == {1}
    assert schedule.month_of_year == set(range(1, 13))
    assert app.tasks[entry["task"]].name == entry["task"]


def test_beat_purges_the_identity_access_log_nightly():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["purge-identity-access-log"]
    assert app.tasks[entry["task"]].name == "members.tasks.purge_identity_access_log"
    assert entry["schedule"].hour == {1} and entry["schedule"].minute == {30}
    assert settings.IDENTITY_ACCESS_RETENTION_DAYS >= 183


def test_beat_relays_the_outbox_and_sweeps_reports_every_few_seconds():
    relay = app.conf.beat_schedule["relay-outbox"]
    sweep = app.conf.beat_schedule["sweep-reports"]
    assert relay["task"] == "core.tasks.relay_outbox" and relay["schedule"] <= 10
    assert sweep["task"] == "assessments.tasks.sweep_checkup_reports" and sweep["schedule"] <= 60
    # A run the broker could not take is simply the next one: neither piles up.
    assert relay["options"]["expires"] and sweep["options"]["expires"]
    app.loader.import_default_modules()
    assert {"core.tasks.relay_outbox", "assessments.tasks.sweep_checkup_reports"} <= set(app.tasks)


def test_a_lapsed_lease_is_noticed_within_a_minute():
    assert settings.REPORT_LEASE_SECONDS + settings.REPORT_SWEEP_SECONDS <= 60
    assert settings.OUTBOX_KICK_TIMEOUT < 1  # the kick after commit never holds a request for long


def test_the_worker_checks_its_database_connection_before_each_task():
    from celery.signals import task_prerun

    from config.celery import start_with_a_usable_database_connection

    assert any(receiver() is start_with_a_usable_database_connection for _key, receiver in task_prerun.receivers)


def test_tasks_that_carry_queued_work_retry_while_the_database_is_away():
    from django.db import InterfaceError, OperationalError

    tasks = _our_tasks()
    for name in (
        "members.tasks.deliver_notification",
        "members.tasks.deliver_notifications",
        "training.tasks.send_absence_warnings",
        "training.tasks.refresh_figures",
    ):
        assert {OperationalError, InterfaceError} <= set(tasks[name].autoretry_for), name
        assert tasks[name].max_retries >= 5, name
