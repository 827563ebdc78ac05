"""Static files of the web UI, served at ``/`` when no REST route matches.

Kismet serves its web UI from ``httpd_home`` for GET and HEAD requests that no
route takes, with no login (the data the UI fetches is what needs one). Here
the files come from one directory (``kismet_tx/web`` by default):

- ``/`` is ``index.html``; no other directory is answered, so there is no listing;
- every path segment must be a plain name: empty, ``.``/``..``, hidden
  (leading ``.``) and segments holding a separator or NUL are refused, and the
  resolved file must still lie under the root (symlinks cannot lead out);
- the MIME type comes from a fixed table (ES modules need a JavaScript type),
  with ``X-Content-Type-Options: nosniff``; HTML pages carry a strict
  Content-Security-Policy (scripts, styles and fetches from this origin only);
- an ``ETag`` from size and modification time answers ``If-None-Match`` with 304.

Anything not served gives the caller None, and the root answers Kismet's 404.

The body is streamed by ``twisted.web.static.File``'s producer (ranges and
``If-Modified-Since`` included), so a large file is never read whole on the
reactor. With ``httpd_home`` the root is another web UI (Kismet's own): its
pages carry inline scripts, so it is served without the policy. Plugins'
static directories (``/plugin/NAME/``, ``http/plugins.py``) are served by the
same class, without the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from twisted.internet import task
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.static import File, StaticProducer
from zope.interface import implementer

_log = Logger(namespace="kismet_tx.http")

#: Runs an iterator cooperatively (``HttpContext.cooperate``, or Twisted's global one).
Cooperate = Callable[[Iterator[None]], task.CooperativeTask[Iterator[None]]]

#: The web UI shipped with the package.
WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
INDEX = "index.html"

MIME_TYPES: dict[str, bytes] = {
    ".html": b"text/html; charset=utf-8",
    ".js": b"text/javascript; charset=utf-8",
    ".mjs": b"text/javascript; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
    ".json": b"application/json",
    ".map": b"application/json",
    ".webmanifest": b"application/manifest+json",
    ".svg": b"image/svg+xml",
    ".png": b"image/png",
    ".jpg": b"image/jpeg",
    ".jpeg": b"image/jpeg",
    ".gif": b"image/gif",
    ".webp": b"image/webp",
    ".ico": b"image/vnd.microsoft.icon",
    ".woff2": b"font/woff2",
    ".woff": b"font/woff",
    ".txt": b"text/plain; charset=utf-8",
    ".md": b"text/plain; charset=utf-8",
}
DEFAULT_TYPE = b"application/octet-stream"

#: Policy for the UI's own pages: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'; "
    b"form-action 'self'; frame-ancestors 'none'"
)


def content_type(path: Path) -> bytes:
    """The Content-Type for a file, by its suffix."""
    return MIME_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


def _plain_segment(segment: bytes) -> str | None:
    """A path segment as a file name, or None if it could step outside or hide."""
    if not segment or segment.startswith(b".") or b"\x00" in segment:
        return None
    if b"/" in segment or b"\\" in segment:
        return None
    try:
        return segment.decode("utf-8")
    except UnicodeDecodeError:
        return None


@implementer(IPushProducer)
class CooperativeProducer:
    """Drives one of ``File``'s producers (whole file, one range or several) on a
    cooperator, one chunk per turn, paused while the client is slow."""

    def __init__(self, chunks: StaticProducer, request: IRequest, cooperate: Cooperate) -> None:
        self.chunks = chunks
        self.request = request
        self.cooperate = cooperate
        self.task: task.CooperativeTask[Iterator[None]] | None = None

    def start(self) -> None:
        """Set the chunk producer up (its own ``start`` seeks to the range and would
        register it as a pull producer: here it registers with nothing), register
        this one with the request instead and start sending."""
        request, self.chunks.request = self.chunks.request, _NoConsumer()
        self.chunks.start()
        self.chunks.request = request
        self.request.registerProducer(self, True)  # type: ignore[attr-defined]  # Request has it
        self.task = self.cooperate(self._send())
        self.task.whenDone().addErrback(self._failed)

    def _failed(self, failure: Failure) -> None:
        if not failure.check(task.TaskStopped):
            _log.failure("error sending a static file", failure=failure)
            self.request.loseConnection()  # type: ignore[attr-defined]  # Request has it

    def _send(self) -> Iterator[None]:
        # The chunk producer unregisters and finishes the request after its last
        # chunk, and then forgets the request.
        while self.chunks.request is not None:
            self.chunks.resumeProducing()
            yield None

    def pauseProducing(self) -> None:
        if self.task is not None:
            self.task.pause()

    def resumeProducing(self) -> None:
        if self.task is not None:
            self.task.resume()

    def stopProducing(self) -> None:
        if self.task is not None:
            try:
                self.task.stop()
            except (task.TaskDone, task.TaskStopped, task.TaskFailed):
                pass
        self.chunks.stopProducing()


class _NoConsumer:
    """What a chunk producer registers with while :class:`CooperativeProducer` sets it up."""

    def registerProducer(self, producer: object, streaming: bool) -> None:
        pass


class _CooperativeFile(File):
    """``File`` (ranges, HEAD, ``If-Modified-Since``) whose body goes out cooperatively."""

    def __init__(self, path: Path, kind: bytes, cooperate: Cooperate) -> None:
        File.__init__(self, str(path))
        self.type = kind.decode("ascii")
        self.encoding = None
        self.cooperate = cooperate

    def makeProducer(self, request: IRequest, fileForReading: IO[bytes]) -> Any:
        chunks = File.makeProducer(self, request, fileForReading)
        return CooperativeProducer(chunks, request, self.cooperate)


class StaticFiles:
    """Serves the files under one directory; see the module docstring for the rules."""

    def __init__(self, root: Path = WEB_ROOT,
                 policy: bytes | None = CONTENT_SECURITY_POLICY,
                 cooperate: Cooperate = task.cooperate) -> None:
        self.root = root.resolve()
        self.policy = policy
        self.cooperate = cooperate

    def find(self, segments: list[bytes]) -> Path | None:
        """The file a request's decoded path segments name, or None."""
        if segments in ([], [b""]):
            segments = [INDEX.encode()]
        names = []
        for segment in segments:
            name = _plain_segment(segment)
            if name is None:
                return None
            names.append(name)
        try:
            target = self.root.joinpath(*names).resolve()
            if not target.is_relative_to(self.root) or not target.is_file():
                return None
        except (OSError, RuntimeError, ValueError):
            return None
        return target

    def render(self, request: IRequest, segments: list[bytes]) -> Any:
        """Answer a GET or HEAD for ``segments``; None when there is no such file.

        Returns the (empty) body, or ``NOT_DONE_YET`` while a producer streams it.
        """
        target = self.find(segments)
        if target is None:
            return None
        return self.serve(request, target)

    def serve(self, request: IRequest, target: Path) -> Any:
        """Answer a GET or HEAD with the file ``target`` (one :meth:`find` gave);
        None if it has gone. The body, or ``NOT_DONE_YET`` while a producer streams it.
        """
        try:
            stat = target.stat()
        except OSError:
            return None
        etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'.encode("ascii")
        request.setHeader(b"Content-Type", content_type(target))
        request.setHeader(b"X-Content-Type-Options", b"nosniff")
        request.setHeader(b"Referrer-Policy", b"no-referrer")
        request.setHeader(b"ETag", etag)
        if target.suffix.lower() == ".html" and self.policy is not None:
            request.setHeader(b"Content-Security-Policy", self.policy)
        match = request.getHeader(b"if-none-match")
        if match is not None and etag in [tag.strip() for tag in match.split(b",")]:
            request.setResponseCode(304)
            return b""
        resource = _CooperativeFile(target, content_type(target), self.cooperate)
        try:
            return resource.render(request)
        except OSError:
            return None
