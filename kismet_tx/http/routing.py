"""The route wrapper every endpoint goes through.

``@endpoint(app, "/system/status", ext=ANY, methods=GET_POST, access=Access.PUBLIC)``
declares a route, its serializer suffixes and its auth on one line. The
wrapper checks auth, parses the command body with the one command parser,
calls the thin handler and hands what it returns to the one serializer
(``http/results.py``). Every :class:`HttpError` becomes its status and body; any other exception is
logged with its traceback and answered with a bare 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, cast

from klein import Klein
from twisted.internet import defer, task
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.server import Request

from kismet_tx.http.auth import ADMIN, COOKIE, Access, Identity, is_command, route_roles
from kismet_tx.http.commands import Command, parse_command, parse_form, read_body
from kismet_tx.http.context import HttpContext
from kismet_tx.http.csrf import check_csrf
from kismet_tx.http.errors import HttpError, ServerFault, Unauthorized
from kismet_tx.http.results import Listing, Raw, Text, common_headers, render_result, write_error
from kismet_tx.http.reveal import hide_local, hide_text
from kismet_tx.http.serialize import FORMATS

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
    #: Roles named on the route line; empty: the defaults of :func:`route_roles`.
    roles: tuple[str, ...] = ()

    @property
    def accepts(self) -> tuple[str, ...]:
        """The roles this route accepts when it needs a login."""
        return route_roles(self.access, self.path, self.methods, self.ext, self.roles)

    @property
    def command(self) -> bool:
        """Whether the route is CSRF-checked: a command (:func:`is_command`), or any
        route that only ``admin`` may use (``close_stream``, ``list_interfaces``)."""
        return is_command(self.path, self.methods, self.ext) or (
            self.access is not Access.OPEN and self.accepts == (ADMIN,))

    @property
    def rule(self) -> str:
        """The URL rule the route is registered under (werkzeug syntax)."""
        return _rule(self.path, self.ext) + self.suffix


@dataclass(slots=True)
class ApiRequest:
    """What a handler sees: the request, its command, suffix and caller."""

    request: IRequest
    cmd: Command
    fmt: str
    identity: Identity | None
    args: dict[str, str] = field(default_factory=dict)


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
             suffix: str = "", roles: tuple[str, ...] = (),
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``handler(self, call: ApiRequest, **path_args)`` on ``app``.

    ``ext`` is ``ANY`` (every serializer), ``CMD`` (``.cmd``/``.jcmd``), one fixed
    suffix such as ``"html"`` or ``"pcapng"``, or None for an exact path.
    ``suffix`` is appended after the extension (the old sub-key form).
    ``roles`` names the roles the route accepts when it needs a login (for
    example ``(ADMIN, WEBGPS)``); without it, :func:`route_roles` decides.
    """

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        info = RouteInfo(path, methods, access, ext, handler.__name__, suffix, tuple(roles))

        @wraps(handler)
        def route(self: Any, request: IRequest, **kwargs: Any) -> Any:
            return dispatch(self.ctx, info, handler, self, request, kwargs)

        route.route_info = info  # type: ignore[attr-defined]
        app.route(info.rule, methods=list(methods), strict_slashes=False)(route)
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



def dispatch(ctx: HttpContext, info: RouteInfo, handler: Callable[..., Any], area: Any,
             request: IRequest, kwargs: dict[str, Any]) -> Any:
    """Auth, parse, call, serialize: the life of one API request."""
    common_headers(request)
    fmt = kwargs.pop("ext", None) or "json"
    try:
        identity = ctx.auth.identify(request)
        if not ctx.auth.allows(info.access, info.accepts, identity):
            raise Unauthorized()
        check_csrf(request, identity, info.command)
        if identity is not None and identity.token:
            set_session_cookie(request, identity.token)
        cmd = _command(ctx, request)
        # Checked before the handler runs: a bad ``wrapper`` must refuse a command,
        # not answer 400 after the command has done its work.
        cmd.wrapper()
        call = ApiRequest(request, cmd, fmt, identity, {k: str(v) for k, v in kwargs.items()})
        result = handler(area, call, **kwargs)
        if identity is None and getattr(area, "scrub_for_anonymous", False):
            result = _scrubbed(result)
    except HttpError as error:
        delay = ctx.auth.failure_delay(request) if error.status in (401, 403) else 0.0
        if delay > 0:
            # A failed password is answered late (the throttle's exponential delay),
            # on the reactor clock: nothing waits but this answer.
            return task.deferLater(ctx.clock, delay, write_error, request, error)
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


def set_session_cookie(request: IRequest, token: str, *, clear: bool = False) -> None:
    """``Set-Cookie: KISMET=...; Path=/; HttpOnly; SameSite=Strict`` (and ``Secure``
    under TLS); ``clear`` sends an empty, expired one (logout). The token is
    always one of the server's own (hex), never text a client sent."""
    # twisted.web's Request: its outgoing cookies and addCookie's httpOnly and
    # sameSite are not in IRequest.
    web_request = cast(Request, request)
    web_request.cookies = [c for c in web_request.cookies if not c.startswith(COOKIE + b"=")]
    web_request.addCookie(COOKIE, b"" if clear else token.encode("ascii"), path=b"/",
                      httpOnly=True, sameSite="strict", secure=bool(request.isSecure()),
                      max_age=b"0" if clear else None)


def _scrubbed(result: Any) -> Any:
    """A result with local paths hidden (:mod:`kismet_tx.http.reveal`)."""
    if isinstance(result, defer.Deferred):
        return result.addCallback(_scrubbed)
    if isinstance(result, Listing):
        return Listing(map(hide_local, result.items), result.wrap, result.key)
    if isinstance(result, Text):
        if isinstance(result.body, str):
            result.body = hide_text(result.body)
        return result
    if isinstance(result, Raw):
        return result
    return hide_local(result)


def _command(ctx: HttpContext, request: IRequest) -> Command:
    if request.method == b"POST":
        body = read_body(request.content, request.getHeader(b"content-length"), ctx.max_body)
        return parse_command(body, request.getHeader(b"content-type"))
    query = request.uri.partition(b"?")[2]
    return Command({}, parse_form(query) if query else {})


def _fail_deferred(request: IRequest, failure: Failure, info: RouteInfo) -> bytes | None:
    if failure.check(defer.CancelledError):
        return None
    error = failure.value if isinstance(failure.value, HttpError) else None
    if error is None:
        _log.failure("error handling {path}", failure=failure, path=info.path)
        error = ServerFault()
    return write_error(request, error)


