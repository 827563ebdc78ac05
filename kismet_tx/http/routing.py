"""The route wrapper every endpoint goes through.

``@endpoint(app, "/system/status", ext=ANY, methods=GET_POST, access=Access.PUBLIC)``
declares a route, its serializer suffixes and its auth on one line. The
wrapper checks auth, parses the command body with the one command parser,
calls the thin handler and hands what it returns to the one serializer:

- plain data (dict, list, Mapping)  -> serialized by suffix (``wrapper`` honoured);
- :class:`Listing` (a lazy iterable) -> streamed in chunks by a push producer;
- :class:`Text`                     -> written as is;
- :class:`Raw`                      -> the handler writes and finishes the response
                                       itself (streams); the route waits for that.

Every :class:`HttpError` becomes its status and body; any other exception is
logged with its traceback and answered with a bare 500.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from klein import Klein
from twisted.internet import defer, task
from twisted.internet.interfaces import IPushProducer, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
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
    """One registered route, for the route table (auth and bad-input matrices).

    ``suffix`` is what follows the extension (the old sub-key form's
    ``/<path:subkey>``), so ``path``, ``ext`` and ``suffix`` spell the whole rule.
    """

    path: str
    methods: tuple[str, ...]
    access: Access
    ext: str | None
    name: str
    suffix: str = ""


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

    def run_steps(self, steps: Generator[None, None, Any]) -> defer.Deferred:
        """Drive a sliced computation cooperatively; fires with its return value."""
        outcome: list[Any] = []

        def drive() -> Iterator[None]:
            outcome.append((yield from steps))

        done = self.cooperate(drive()).whenDone()
        done.addCallback(lambda _: outcome[0])
        return done


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
        info = RouteInfo(path, methods, access, ext, handler.__name__, suffix)

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
    """Set an error's status and headers; return its body.

    A page script marks its requests ``X-Requested-With: XMLHttpRequest`` and
    handles a 401 itself: it gets no ``WWW-Authenticate``, which would make
    the browser open its own login prompt over the page.
    """
    request.setResponseCode(error.status)
    request.setHeader(b"Content-Type", error.content_type)
    scripted = (request.getHeader(b"x-requested-with") or b"").lower() == b"xmlhttprequest"
    for name, value in error.headers().items():
        if scripted and name.lower() == b"www-authenticate":
            continue
        request.setHeader(name, value)
    return error.body()


def set_session_cookie(request: Any, identity: Identity | None) -> None:
    """Echo the caller's session as the ``KISMET`` cookie."""
    if identity is not None and identity.token:
        request.addCookie(COOKIE, identity.token.encode(), path=b"/", httpOnly=True,
                          sameSite="strict")


def dispatch(ctx: HttpContext, info: RouteInfo, handler: Callable[..., Any], area: Any,
             request: Any, kwargs: dict[str, Any]) -> Any:
    """Auth, parse, call, serialize: the life of one API request."""
    common_headers(request)
    fmt = kwargs.pop("ext", None) or "json"
    try:
        identity = ctx.auth.identify(request)
        if identity is None and ctx.auth.needs_login(info.access):
            raise Unauthorized()
        set_session_cookie(request, identity)
        cmd = _command(ctx, request)
        # Checked before the handler runs: a bad ``wrapper`` must refuse a command,
        # not answer 400 after the command has done its work.
        cmd.wrapper()
        call = ApiRequest(request, cmd, fmt, identity, {k: str(v) for k, v in kwargs.items()})
        result = handler(area, call, **kwargs)
    except HttpError as error:
        return write_error(request, error)
    except Exception:
        _log.failure("error handling {path}", path=info.path)
        return write_error(request, ServerFault())
    if isinstance(result, defer.Deferred):
        # Klein waits for the Deferred, writes the bytes it ends with and
        # finishes the request; it cancels the Deferred if the client leaves.
        result.addCallback(lambda value: render_result(ctx, request, value, fmt, cmd))
        result.addErrback(lambda failure: _fail_deferred(request, failure, info))
        return result
    return render_result(ctx, request, result, fmt, cmd)


def _command(ctx: HttpContext, request: Any) -> Command:
    if request.method == b"POST":
        body = read_body(request.content, request.getHeader(b"content-length"), ctx.max_body)
        return parse_command(body, request.getHeader(b"content-type"))
    query = request.uri.partition(b"?")[2]
    return Command({}, parse_form(query) if query else {})


def _fail_deferred(request: Any, failure: Failure, info: RouteInfo) -> bytes | None:
    if failure.check(defer.CancelledError):
        return None
    error = failure.value if isinstance(failure.value, HttpError) else None
    if error is None:
        _log.failure("error handling {path}", failure=failure, path=info.path)
        error = ServerFault()
    return write_error(request, error)


def _until_finished(request: Any) -> defer.Deferred[None] | None:
    """What to hand Klein for a response the handler finishes itself.

    Klein finishes the request as soon as a route's result is in, so a stream
    must give it a Deferred that fires only once the response is complete (or
    the client has gone).
    """
    if request.finished or request.channel is None:
        return None
    done = request.notifyFinish()
    done.addErrback(lambda _: None)
    return done


def render_result(ctx: HttpContext, request: Any, result: Any, fmt: str,
                  cmd: Command) -> Any:
    """Turn a handler's result into a response body, or start a stream.

    Returns the body bytes, or for a stream a Deferred that fires once the
    response is complete: Klein finishes the request when what a route
    returns is in, so a stream must not hand it anything sooner.
    """
    try:
        if isinstance(result, Raw):
            return _until_finished(request)
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
                producer = ListProducer(ctx, request,
                                        ctx.serializer.encode_list(result.items, fmt))
                producer.start()
                return producer.done
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
    """Writes encoded chunks cooperatively, pausing when the client is slow.

    ``done`` fires once the response is complete or the client has gone.
    """

    def __init__(self, ctx: HttpContext, request: Any, chunks: Iterator[bytes]) -> None:
        self._ctx = ctx
        self._request = request
        self._chunks = chunks
        self._task: task.CooperativeTask | None = None
        self._done = False
        self._wrote = False
        self.done: defer.Deferred[None] = defer.Deferred()

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
            self._wrote = True
            yield None

    def _settle(self) -> None:
        if not self.done.called:
            self.done.callback(None)

    def _finished(self, _: Any) -> None:
        if self._done:
            return
        self._done = True
        self._request.unregisterProducer()
        self._request.finish()
        self._settle()

    def _failed(self, failure: Failure) -> None:
        if failure.check(task.TaskStopped):
            return
        self._done = True
        self._request.unregisterProducer()
        if not self._wrote:
            # Nothing is sent yet: the failure can still get its proper answer.
            error = failure.value if isinstance(failure.value, HttpError) else None
            if error is None:
                _log.failure("error streaming a response", failure=failure)
                error = ServerFault()
            self._request.write(write_error(self._request, error))
            self._request.finish()
            self._settle()
            return
        # Part of the body is out: drop the connection so the client sees a
        # failure, never a short list. ``done`` fires when the connection goes.
        _log.failure("error streaming a response", failure=failure)
        self._request.loseConnection()

    def pauseProducing(self) -> None:
        if self._task is not None and not self._done:
            self._task.pause()

    def resumeProducing(self) -> None:
        if self._task is not None and not self._done:
            self._task.resume()

    def stopProducing(self) -> None:
        self._settle()
        if self._done:
            return
        self._done = True
        if self._task is not None:
            try:
                self._task.stop()
            except (task.TaskDone, task.TaskStopped, task.TaskFailed):
                pass
