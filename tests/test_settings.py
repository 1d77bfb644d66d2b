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


def test_beat_recomputes_indicators_nightly_in_december_and_january():
    entry = app.conf.beat_schedule["recompute-year-end-indicators"]
    assert entry["task"] == "assessments.tasks.recompute_year_end_indicators"
    schedule = entry["schedule"]
    assert schedule.hour == {2} and schedule.minute == {0} and schedule.month_of_year == {12, 1}
