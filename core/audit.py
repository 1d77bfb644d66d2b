from django.db import models

from core.models import AuditEntry


def audit_record(*, actor, action: str, target: models.Model, payload: dict | None = None) -> AuditEntry:
    """Record one state change; *actor* may be None for commands and tasks."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        payload=payload or {},
    )


def changes_between(before: dict, after: dict) -> dict:
    """Return {field: [old, new]} for the fields whose value differs, JSON-ready."""
    return {key: [_plain(before.get(key)), _plain(value)] for key, value in after.items() if before.get(key) != value}


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
