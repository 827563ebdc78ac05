"""``/auth/apikey/*``: API keys with roles, as Kismet 2025 has them (Part B 1.1, 5.4).

``generate.cmd`` takes ``{name, role, duration}`` (seconds; 0 is forever) and
answers the new key as text: 32 uppercase hex digits, shown this once, since
the server keeps only its hash. ``list.json`` gives each key's
``kismet.httpd.auth.name``, ``.role`` and ``.expiration`` (0 for never); it
never has ``.token`` (Kismet's UI then says viewing tokens is disabled).
``revoke.cmd`` takes ``{name}``. A key works as the ``KISMET`` cookie,
``?KISMET=``, a ``KISMET:`` header or ``Authorization: Bearer``, with its role.

Unlike Kismet (which answers 500 to every mistake): a missing or bad field is
400, a name in use 409, an unknown name 404, the reserved ``web logon`` 403,
and key creation switched off (``httpd_allow_auth_creation=false``) 403.
"""

from __future__ import annotations

from typing import Any

from klein import Klein

from kismet_tx.http.auth import ADMIN, Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, Conflict, Forbidden, NotFound
from kismet_tx.http.results import Text
from kismet_tx.http.routing import CMD, GET, POST, ApiRequest, endpoint

#: The name Kismet keeps for the sessions of password logins.
WEB_LOGON = "web logon"
#: Longest key name or role.
MAX_LABEL = 64
#: Longest key lifetime, seconds (100 years).
MAX_DURATION = 100 * 365 * 86400


def _label(call: ApiRequest, key: str) -> str:
    value: str = call.cmd.text(key, required=True)
    if not value or len(value) > MAX_LABEL or any(ord(c) < 0x20 or c == "\x7f" for c in value):
        raise BadRequest(f"'{key}' must be 1 to {MAX_LABEL} printable characters")
    return value


class ApiKeysArea:
    """API key endpoints (admin only)."""

    app = Klein()

    def __init__(self, ctx: HttpContext, allow_creation: bool = True) -> None:
        self.ctx = ctx
        self.allow_creation = allow_creation

    def _allowed(self) -> None:
        if not self.allow_creation:
            raise Forbidden("API key creation is disabled in the Kismet configuration "
                            "(httpd_allow_auth_creation)")

    @endpoint(app, "/auth/apikey/generate", ext=CMD, methods=POST, access=Access.LOGIN)
    def generate(self, call: ApiRequest) -> Text:
        """A new key; the answer is the key itself, as text."""
        self._allowed()
        name = _label(call, "name")
        role = _label(call, "role")
        duration = call.cmd.int("duration", default=0)
        if duration < 0 or duration > MAX_DURATION:
            raise BadRequest(f"'duration' must be 0 (forever) to {MAX_DURATION} seconds")
        if name == WEB_LOGON:
            raise Forbidden(f"'{WEB_LOGON}' is reserved for password logins")
        try:
            token = self.ctx.auth.sessions.add_key(name, role, duration)
        except KeyError:
            raise Conflict(f"An API key named '{name}' already exists") from None
        except OverflowError as exc:
            raise Conflict(f"Too many API keys (at most {exc.args[0]})") from None
        return Text(token)

    @endpoint(app, "/auth/apikey/revoke", ext=CMD, methods=POST, access=Access.LOGIN)
    def revoke(self, call: ApiRequest) -> Text:
        """Remove a key by name."""
        self._allowed()
        name = _label(call, "name")
        if name == WEB_LOGON:
            raise Forbidden("cannot remove autoprovisioned web logon")
        if not self.ctx.auth.sessions.revoke_key(name):
            raise NotFound(name, f"No API key named {name}")
        return Text("revoked\n")

    @endpoint(app, "/auth/apikey/list", methods=GET, access=Access.LOGIN, roles=(ADMIN,))
    def list_keys(self, call: ApiRequest) -> Any:
        """Every live key's name, role and expiry (never its token)."""
        return [{"kismet.httpd.auth.name": key.name, "kismet.httpd.auth.role": key.role,
                 "kismet.httpd.auth.expiration": int(key.expires)}
                for key in self.ctx.auth.sessions.keys()]
