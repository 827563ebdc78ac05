"""``/session/*``: session and login checks, logout, first-run setup state."""

from __future__ import annotations

from klein import Klein

from kismet_tx.http.auth import ADMIN, ANY_ROLE, Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, Forbidden, Unauthorized
from kismet_tx.http.results import Text
from kismet_tx.http.routing import GET, GET_POST, POST, ApiRequest, endpoint, set_session_cookie


class SessionArea:
    """Login and session endpoints."""

    app = Klein()

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx

    @endpoint(app, "/session/check_session", ext=None, methods=GET, access=Access.OPEN)
    def check_session(self, call: ApiRequest) -> Text:
        if call.identity is None:
            raise Unauthorized()
        return Text("Session valid\n")

    @endpoint(app, "/session/check_login", ext=None, methods=GET, access=Access.OPEN)
    def check_login(self, call: ApiRequest) -> Text:
        if not self.ctx.auth.login_from(call.request):
            raise Forbidden("Invalid login")
        return Text("Login valid\n")

    @endpoint(app, "/session/logout", ext=None, methods=GET_POST, access=Access.LOGIN,
              roles=(ANY_ROLE,))
    def logout(self, call: ApiRequest) -> Text:
        """End the caller's session; its cookie is cleared. An API key stays valid."""
        if call.identity is None:
            raise Unauthorized()
        if not self.ctx.auth.logout(call.identity):
            raise BadRequest("No session to end: an API key is revoked with "
                             "/auth/apikey/revoke.cmd")
        set_session_cookie(call.request, "", clear=True)
        return Text("Logged out\n")

    @endpoint(app, "/session/check_setup_ok", ext=None, methods=GET, access=Access.OPEN)
    def check_setup_ok(self, call: ApiRequest) -> Text:
        status, text = self.ctx.auth.setup_state()
        return Text(text, status=status)

    @endpoint(app, "/session/set_password", ext=None, methods=POST, access=Access.OPEN)
    def set_password(self, call: ApiRequest) -> Text:
        auth = self.ctx.auth
        if auth.credentials.origin == "global":
            raise Forbidden("Login is configured in the global config and cannot be changed")
        if auth.credentials.password and (call.identity is None
                                          or call.identity.role != ADMIN):
            raise Forbidden("A login is already configured; log in to change it")
        username = call.cmd.form.get("username") or call.cmd.text("username")
        password = call.cmd.form.get("password") or call.cmd.text("password")
        if not username or not password:
            raise BadRequest("Missing username or password in request")
        _check_storable(username, password)
        auth.set_password(username, password)
        return Text("Login configured\n")


def _check_storable(username: str, password: str) -> None:
    """Refuse a login that ``kismet_httpd.conf`` cannot hold as given.

    The file is ``key=value`` lines: a line break would inject config lines,
    surrounding blanks are stripped and ``%h`` is expanded when it is read
    back, and Basic auth cannot carry a ``:`` in the user name.
    """
    for label, value in (("username", username), ("password", password)):
        if any(ord(c) < 0x20 or c == "\x7f" for c in value):
            raise BadRequest(f"{label} must not contain control characters or line breaks")
        if value != value.strip():
            raise BadRequest(f"{label} must not start or end with blanks")
        if "%h" in value:
            raise BadRequest(f"{label} must not contain '%h'")
    if ":" in username:
        raise BadRequest("username must not contain ':'")
