"""Refuse hostile requests before any view reads them: oversized bodies and NUL bytes in the query string."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.urls import Resolver404, resolve

_OVERHEAD = 256 * 1024  # multipart boundaries and the other fields of an upload form


def body_limit(path: str) -> int:
    """The largest body accepted for *path*: its upload limit when it takes a file, else REQUEST_MAX_BYTES."""
    try:
        name = resolve(path).view_name
    except Resolver404:
        return settings.REQUEST_MAX_BYTES
    upload = settings.UPLOAD_MAX_BYTES.get(name)
    return upload + _OVERHEAD if upload else settings.REQUEST_MAX_BYTES


class CappedStream:
    """A request body of undeclared length: reading past *limit* raises RequestDataTooBig (answered 400)."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.read_so_far = stream, limit, 0

    def _count(self, data: bytes) -> bytes:
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise RequestDataTooBig("The request body is larger than allowed.")
        return data

    def read(self, size: int = -1) -> bytes:
        room = self.limit + 1 - self.read_so_far
        size = room if size is None or size < 0 else min(size, room)
        return self._count(self.stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        room = self.limit + 1 - self.read_so_far
        size = room if size is None or size < 0 else min(size, room)
        return self._count(self.stream.readline(size))


def _has_nul(request) -> bool:
    """A NUL byte in any posted form field (files are not fields)."""
    try:
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
    except RequestDataTooBig:
        raise
    except Exception:  # a malformed body: the view's own parsing answers it
        return False


class RequestGuardMiddleware:
    """Refuse a declared body over the path's limit without reading it (413), cap an undeclared one,
    and answer 400 to NUL bytes in the query string or a posted field, which PostgreSQL cannot store or compare.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", ""):
            return render(request, "400.html", status=400)
        limit = body_limit(request.path_info)
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                return render(request, "400.html", status=400)
            if length > limit:
                response = render(request, "413.html", {"limit_mb": max(1, limit // 2**20)}, status=413)
                response["Connection"] = "close"
                return response
        elif "wsgi.input" in request.META and request.method in ("POST", "PUT", "PATCH"):
            # Chunked bodies come without a length: read them through a cap.
            request._stream = CappedStream(request.META["wsgi.input"], limit)
        if request.method == "POST" and _has_nul(request):
            return render(request, "400.html", status=400)
        return self.get_response(request)
