"""The error vocabulary of the REST API (Part A item 4), in one place.

Routes raise these; the route wrapper renders them. Nothing else writes an
error response, so every status code, body and header stays consistent.
"""

from __future__ import annotations

from html import escape


class HttpError(Exception):
    """An error answer: status code, body and content type."""

    status = 500
    content_type = b"text/plain; charset=utf-8"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> bytes:
        """The response body."""
        return (self.message.rstrip("\n") + "\n").encode("utf-8")

    def headers(self) -> dict[bytes, bytes]:
        """Extra response headers."""
        return {}


class BadRequest(HttpError):
    """400: the input is unusable; the message says why."""

    status = 400

    def body(self) -> bytes:
        text = self.message
        if not text.startswith(("Invalid request", "Invalid regex")):
            text = "Invalid request: " + text
        return (text.rstrip("\n") + "\n").encode("utf-8")


class Unauthorized(HttpError):
    """401: a login or session token is needed."""

    status = 401
    content_type = b"text/html; charset=utf-8"

    def body(self) -> bytes:
        return (
            b"<html><head><title>401 Permission denied</title></head><body>"
            b"<h1>401 Permission denied</h1><br><p>This resource requires a login or "
            b"session token.</p></body></html>\n"
        )

    def headers(self) -> dict[bytes, bytes]:
        return {b"WWW-Authenticate": b'Basic realm="Kismet"'}


class Forbidden(HttpError):
    """403: the credentials given are not valid for this."""

    status = 403


class NotFound(HttpError):
    """404: unknown route, device key, MAC, UUID or stream id."""

    status = 404
    content_type = b"text/html; charset=utf-8"

    def __init__(self, path: str, reason: str = "") -> None:
        super().__init__(reason or f"Could not find {path}")
        self.path = path
        self.reason = reason

    def body(self) -> bytes:
        detail = escape(self.reason) if self.reason else (
            "Could not find <code>" + escape(self.path) + "</code>"
        )
        return (
            "<html><head><title>404 not found</title></head><body><h1>404 Not Found</h1>"
            f"<br><p>{detail}</p></body></html>\n"
        ).encode()


class MethodNotAllowed(HttpError):
    """405: the route exists but not for this verb."""

    status = 405
    content_type = b"text/html; charset=utf-8"

    def __init__(self, allowed: list[str] | None = None) -> None:
        super().__init__("Incorrect method")
        self.allowed = sorted(allowed or [])

    def body(self) -> bytes:
        return (
            b"<html><head><title>405 Incorrect method</title></head><body>"
            b"<h1>405 Incorrect method</h1></body></html>\n"
        )

    def headers(self) -> dict[bytes, bytes]:
        if not self.allowed:
            return {}
        return {b"Allow": ", ".join(self.allowed).encode()}


class PayloadTooLarge(HttpError):
    """413: the request body is over the cap."""

    status = 413


class Conflict(HttpError):
    """409: the request conflicts with existing state (e.g. a duplicate name)."""

    status = 409


class CommandFailed(HttpError):
    """500 with the reason: a sound command the server could not carry out, where
    Kismet answers 500 (a source that cannot be opened or tuned)."""

    status = 500

    def body(self) -> bytes:
        return f"ERROR: {self.message.rstrip()}\n".encode()


class ServerFault(HttpError):
    """500: a genuine server fault; details go to the log, never to the client."""

    status = 500

    def __init__(self) -> None:
        super().__init__("ERROR: internal server error")


class TooManyRequests(HttpError):
    """429: this client address failed to log in too often; wait ``retry_after`` seconds."""

    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__("Too many failed logins from this address; try again later")
        self.retry_after = max(1, int(retry_after + 0.999))

    def headers(self) -> dict[bytes, bytes]:
        return {b"Retry-After": str(self.retry_after).encode("ascii")}
