"""The one way services hand work to Celery: by task name, once the transaction commits.

Services never import a tasks module (tasks import services, so that would be
a cycle); they name the task instead, and the task object is looked up only
when the work is sent.
"""

from functools import partial
from importlib import import_module

from django.db import transaction


def task_by_name(name: str):
    """Return the Celery task registered under *name*, e.g. ``"training.tasks.send_absence_warnings"``."""
    module, _, attribute = name.rpartition(".")
    return getattr(import_module(module), attribute)


def _send(name: str, args: tuple) -> None:
    task_by_name(name).delay(*args)


def enqueue_on_commit(name: str, *args) -> None:
    """Queue the task *name* with *args* (JSON-able ids) when the current transaction commits."""
    transaction.on_commit(partial(_send, name, args))
