"""The Celery application; settings come from Django's CELERY_* names."""

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def start_with_a_usable_database_connection(task=None, **_kwargs):
    """Drop a database connection that died (PostgreSQL restarted) before each task runs.

    CELERY_DB_REUSE_MAX keeps connections between tasks, and with it
    Celery's Django fix-up checks them only every so many tasks;
    CONN_HEALTH_CHECKS acts only on web requests. This is the web's check
    for tasks: close_old_connections() closes a connection that had an error
    or passed CONN_MAX_AGE, and marks the rest for the health check Django
    runs at their first use in the task (CONN_HEALTH_CHECKS: one SELECT 1),
    so a healthy connection is still reused rather than opened again.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        return  # runs inside the caller's transaction (tests): leave its connection alone
    from django.db import close_old_connections

    close_old_connections()
