"""Signs of life of the background processes, kept in the database for the status page."""

from django.utils import timezone

from core.models import Heartbeat


def heartbeat(name: str, detail: dict | None = None, *, now=None) -> None:
    """Record that *name* (e.g. "worker", "beat") was alive now, with an optional small JSON *detail*."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now or timezone.now(), "detail": detail or {}})


def heartbeats() -> dict[str, Heartbeat]:
    return {row.name: row for row in Heartbeat.objects.all()}
