"""An uploaded file kept between its preview and its confirmation.

Imports check a file and show a preview; only the confirmation writes. The
file waits under MEDIA_ROOT with a random name, and the session remembers
which one, so a confirm always imports the file whose preview was shown
last (a new upload replaces the one waiting).
"""

import uuid
from pathlib import Path

from django.conf import settings


class PendingUpload:
    def __init__(self, request, *, key: str, folder: str):
        self.session, self.key, self.folder = request.session, key, folder

    def _dir(self) -> Path:
        path = Path(settings.MEDIA_ROOT) / self.folder
        path.mkdir(parents=True, exist_ok=True)
        return path

    def keep(self, upload, **details) -> None:
        """Store *upload* (replacing any file waiting) with *details* to hand back at confirmation."""
        self.discard()
        name = f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
        upload.seek(0)
        (self._dir() / name).write_bytes(upload.read())
        self.session[self.key] = {"name": name, "filename": Path(upload.name).name, **details}

    def get(self) -> tuple[Path | None, dict]:
        """The waiting file (None when there is none or it expired) and its details."""
        pending = self.session.get(self.key) or {}
        if not isinstance(pending, dict) or not pending.get("name"):
            return None, {}
        path = self._dir() / Path(pending["name"]).name
        return (path if path.exists() else None), pending

    def discard(self) -> None:
        """Forget the waiting file and delete it."""
        pending = self.session.pop(self.key, None)
        if isinstance(pending, dict) and pending.get("name"):
            (self._dir() / Path(pending["name"]).name).unlink(missing_ok=True)
