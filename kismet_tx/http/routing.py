"""The route wrapper every endpoint goes through.

``@endpoint(app, "/system/status", ext=ANY, methods=GET_POST, access=Access.PUBLIC)``
declares a route, its serializer suffixes and its auth on one line. The
wrapper checks auth, parses the command body with the one command parser,
calls the thin handler and hands what it returns to the one serializer:

- plain data (dict, list, Mapping)  -> serialized by suffix (``wrapper`` honoured);
- :class:`Listing` (a lazy iterable) -> streamed in chunks by a push producer;
- :class:`Text`                     -> written as is;
- :class:`Raw`                      -> the handler wrote the response itself (streams).

Every :class:`HttpError` becomes its status and body; any other exception is
logged with its traceback and answered with a bare 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from klein import Klein
from twisted.internet import defer, task
from twisted.internet.interfaces import IPushProducer, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET
from zope.interface import implementer

from kismet_tx.http.auth import COOKIE, Access, Authenticator, Identity
from kismet_tx.http.commands import DEFAULT_MAX_BODY, Command, parse_command, parse_form, read_body
from kismet_tx.http.errors import HttpError, ServerFault, Unauthorized
from kismet_tx.http.serialize import FORMATS, Serializer

_log = Logger(namespace="kismet_tx.http")

GET = ("GET",)
POST = ("POST",)
GET_POST = ("GET", "POST")

#: Any serializer suffix.
ANY = "any"
#: Command suffixes only.
CMD = "cmd"

_ANY_RULE = "<any(" + ",".join(sorted(FORMATS)) + "):ext>"
_CMD_RULE = "<any(cmd,jcmd):ext>"


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One registered route, for the route table (auth and bad-input matrices)."""

    path: str
    methods: tuple[str, ...]
    access: Access
    ext: str | None
    name: str


@dataclass(slots=True)
class Text:
    """A literal response body."""

    body: str | bytes
    status: int = 200
    content_type: bytes = b"text/plain; charset=utf-8"

    def encoded(self) -> bytes:
        """The body as bytes."""
        return self.body if isinstance(self.body, bytes) else self.body.encode("utf-8")


@dataclass(slots=True)
class Listing:
    """A lazily produced list of records, streamed without building the body."""

    items: Iterable[Any]


@dataclass(slots=True)
class Raw:
    """The handler has taken over the response (a long-lived stream)."""


@dataclass(slots=True)
class ApiRequest:
    """What a handler sees: the request, its command, suffix and caller."""

    request: Any
    cmd: Command
    fmt: str
    identity: Identity | None
    args: dict[str, str] = field(default_factory=dict)


@dataclass
class HttpContext:
    """Collaborators every area shares: auth, serializer, limits, scheduling."""

    auth: Authenticator
    clock: IReactorTime
    serializer: Serializer = field(default_factory=Serializer)
    max_body: int = DEFAULT_MAX_BODY
    cooperator: task.Cooperator | None = None

    def cooperate(self, iterator: Iterator[Any]) -> task.CooperativeTask:
        """Run ``iterator`` cooperatively on the injected (or global) cooperator."""
        if self.cooperator is None:
            return task.cooperate(iterator)
        return self.cooperator.cooperate(iterator)


def _rule(path: str, ext: str | None) -> str:
    if ext is None:
        return path
    if ext == ANY:
        return path + "." + _ANY_RULE
    if ext == CMD:
        return path + "." + _CMD_RULE
    return path + "." + ext


def endpoint(app: Klein, path: str, *, ext: str | None = ANY,
             methods: tuple[str, ...] = GET, access: Access = Access.PUBLIC,
             suffix: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``handler(self, call: ApiRequest, **path_args)`` on ``app``.

    ``ext`` is ``ANY`` (every serializer), ``CMD`` (``.cmd``/``.jcmd``), one fixed
    suffix such as ``"html"`` or ``"pcapng"``, or None for an exact path.
    ``suffix`` is appended after the extension (the old sub-key form).
    """

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        info = RouteInfo(path, methods, access, ext, handler.__name__)

        @wraps(handler)
        def route(self: Any, request: Any, **kwargs: Any) -> Any:
            return dispatch(self.ctx, info, handler, self, request, kwargs)

        route.route_info = info  # type: ignore[attr-defined]
        app.route(_rule(path, ext) + suffix, methods=list(methods), strict_slashes=False)(route)
        return route

    return decorator


def routes_of(area: Any) -> list[RouteInfo]:
    """Every route an area instance registered."""
    seen = []
    for name in dir(type(area)):
        info = getattr(getattr(type(area), name, None), "route_info", None)
        if isinstance(info, RouteInfo):
            seen.append(info)
    return seen


def common_headers(request: Any) -> None:
    headers = request.responseHeaders
    headers.setRawHeaders(b"Server", [b"Kismet"])
    headers.setRawHeaders(b"Cache-Control", [b"no-cache"])
    headers.setRawHeaders(b"Pragma", [b"no-cache"])
    headers.setRawHeaders(b"Expires", [b"Sat, 01 Jan 2000 00:00:00 GMT"])


def write_error(request: Any, error: HttpError) -> bytes:
    """Set an error's status and headers; return its body."""
    request.setResponseCode(error.status)
    request.setHeader(b"Content-Type", error.content_type)
    for name, value in error.headers().items():
        request.setHeader(name, value)
    return error.body()


def dispatch(ctx: HttpContext, info: RouteInfo, handler: Callable[..., Any], area: Any,
             request: Any, kwargs: dict[str, Any]) -> Any:
    """Auth, parse, call, serialize: the life of one API request."""
    common_headers(request)
    fmt = kwargs.pop("ext", None) or "json"
    try:
        identity = ctx.auth.identify(request)
        if identity is None and ctx.auth.needs_login(info.access):
            raise Unauthorized()
        if identity is not None and identity.token:
            request.addCookie(COOKIE, identity.token.encode(), path=b"/", httpOnly=True,
                              sameSite="strict")
        cmd = _command(ctx, request)
        call = ApiRequest(request, cmd, fmt, identity, {k: str(v) for k, v in kwargs.items()})
        result = handler(area, call, **kwargs)
    except HttpError as error:
        return write_error(request, error)
    except Exception:
        _log.failure("error handling {path}", path=info.path)
        return write_error(request, ServerFault())
    if isinstance(result, defer.Deferred):
        result.addCallback(lambda value: _finish_deferred(ctx, request, value, fmt, cmd))
        result.addErrback(lambda failure: _fail_deferred(request, failure, info))
        return NOT_DONE_YET
    return render_result(ctx, request, result, fmt, cmd)


def _command(ctx: HttpContext, request: Any) -> Command:
    if request.method == b"POST":
        body = read_body(request.content, request.getHeader(b"content-length"), ctx.max_body)
        return parse_command(body, request.getHeader(b"content-type"))
    query = request.uri.partition(b"?")[2]
    return Command({}, parse_form(query) if query else {})


def _finish_deferred(ctx: HttpContext, request: Any, value: Any, fmt: str,
                     cmd: Command) -> None:
    body = render_result(ctx, request, value, fmt, cmd)
    if body is not NOT_DONE_YET:
        request.write(body)
        request.finish()


def _fail_deferred(request: Any, failure: Failure, info: RouteInfo) -> None:
    if failure.check(defer.CancelledError):
        return
    error = failure.value if isinstance(failure.value, HttpError) else None
    if error is None:
        _log.failure("error handling {path}", failure=failure, path=info.path)
        error = ServerFault()
    request.write(write_error(request, error))
    request.finish()


def render_result(ctx: HttpContext, request: Any, result: Any, fmt: str,
                  cmd: Command) -> Any:
    """Turn a handler's result into a response body (or a running stream)."""
    try:
        if isinstance(result, Raw):
            return NOT_DONE_YET
        if isinstance(result, Text):
            request.setResponseCode(result.status)
            request.setHeader(b"Content-Type", result.content_type)
            return result.encoded()
        request.setHeader(b"Content-Type", ctx.serializer.content_type(fmt))
        wrapper = cmd.wrapper()
        if isinstance(result, Listing):
            if wrapper:
                result = {wrapper: list(result.items)}
            else:
                ListProducer(ctx, request, ctx.serializer.encode_list(result.items, fmt)).start()
                return NOT_DONE_YET
        elif wrapper:
            result = {wrapper: result}
        return ctx.serializer.encode(result, fmt)
    except HttpError as error:
        return write_error(request, error)
    except Exception:
        _log.failure("error serializing a response")
        return write_error(request, ServerFault())


@implementer(IPushProducer)
class ListProducer:
    """Writes encoded chunks cooperatively, pausing when the client is slow."""

    def __init__(self, ctx: HttpContext, request: Any, chunks: Iterator[bytes]) -> None:
        self._ctx = ctx
        self._request = request
        self._chunks = chunks
        self._task: task.CooperativeTask | None = None
        self._done = False

    def start(self) -> None:
        """Begin streaming; the request finishes when the chunks run out."""
        self._request.registerProducer(self, True)
        self._request.notifyFinish().addErrback(lambda _: self.stopProducing())
        self._task = self._ctx.cooperate(self._write_all())
        self._task.whenDone().addCallbacks(self._finished, self._failed)

    def _write_all(self) -> Iterator[None]:
        for chunk in self._chunks:
            if self._done:
                return
            self._request.write(chunk)
            yield None

    def _finished(self, _: Any) -> None:
        if self._done:
            return
        self._done = True
        self._request.unregisterProducer()
        self._request.finish()

    def _failed(self, failure: Failure) -> None:
        if failure.check(task.TaskStopped):
            return
        _log.failure("error streaming a response", failure=failure)
        self._done = True
        self._request.unregisterProducer()
        self._request.loseConnection()

    def pauseProducing(self) -> None:
        if self._task is not None and not self._done:
            self._task.pause()

    def resumeProducing(self) -> None:
        if self._task is not None and not self._done:
            self._task.resume()

    def stopProducing(self) -> None:
        if self._done:
            return
        self._done = True
        if self._task is not None:
            try:
                self._task.stop()
            except (task.TaskDone, task.TaskStopped, task.TaskFailed):
                pass
