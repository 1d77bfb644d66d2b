"""The one way services hand work to Celery: by task name, through the outbox.

Services never import a tasks module (tasks import services, so that would be
a cycle); they name the task instead. ``enqueue_on_commit`` writes an
``OutboxMessage`` row in the caller's transaction, so the work is recorded
exactly when the change that asks for it is; a rollback records nothing.
Once the transaction commits, a kick tries to publish the new rows at once
with a short broker timeout (core.outbox.kick); whatever it cannot publish
the relay beat task sends later. No request waits on the broker.
"""

from importlib import import_module

from django.db import transaction

from core.models import OutboxMessage


def task_by_name(name: str):
    """Return the Celery task registered under *name*, e.g. ``"training.tasks.send_absence_warnings"``."""
    module, _, attribute = name.rpartition(".")
    return getattr(import_module(module), attribute)


def enqueue_on_commit(name: str, *args) -> None:
    """Queue the task *name* with *args* (JSON-able ids) when the current transaction commits."""
    enqueue_many_on_commit(name, [args])


def enqueue_many_on_commit(name: str, arg_lists) -> None:
    """Queue the task *name* once for each tuple of arguments in *arg_lists*, in one INSERT."""
    rows = OutboxMessage.objects.bulk_create([OutboxMessage(task=name, args=list(args)) for args in arg_lists])
    if not rows:
        return
    ids = [row.pk for row in rows]

    # A plain function, not functools.partial: Django 5.2 reads __qualname__
    # of on_commit callbacks when it logs, and a partial has none. The kick
    # swallows its own errors, so robust=True is not needed either.
    def kick_after_commit():
        from core.outbox import kick

        kick(ids)

    transaction.on_commit(kick_after_commit)
