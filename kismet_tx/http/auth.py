"""Logins, sessions, API keys and roles (Part A item 5, Part B 5).

A request is identified, in Kismet's order, by a token (the ``KISMET``
cookie; without a Cookie header, a ``KISMET:`` or ``Authorization: Bearer``
header, or ``?KISMET=``) that names a live session or API key, else by Basic
auth, else by ``?user=&password=``. A valid password gives the admin role and
the caller's *web logon* session, whose token goes out as the ``KISMET``
cookie: the first Basic login of a credential starts one session and every
later request with the same credential reuses it, so there is no new session
and no disk write per request. The password itself is kept only as a keyed
hash, checked in constant time. Failed password checks go through the
per-address :class:`~kismet_tx.http.throttle.LoginThrottle`.

Each route declares its :class:`Access` and, optionally, its roles on its
route line (:func:`route_roles` gives the defaults); :func:`role_allows` is
Kismet's ``match_role``. Secrets are never logged.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import os
import re
import secrets
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from twisted.logger import Logger
from twisted.web.iweb import IRequest

from kismet_tx.http.authstore import (
    ADMIN,
    DEFAULT_SESSION_TIMEOUT,
    MAX_SESSIONS,
    SessionStore,
    token_hash,
)
from kismet_tx.http.errors import TooManyRequests
from kismet_tx.http.throttle import LoginThrottle

__all__ = [
    "ADMIN", "ADSB", "ANY_ROLE", "COOKIE", "DATASOURCE", "DEFAULT_SESSION_TIMEOUT",
    "MAX_SESSIONS", "READONLY", "SCANREPORT", "WEBGPS", "Access", "Authenticator",
    "Credentials", "Identity", "SessionStore", "generate_credentials", "is_command",
    "role_allows", "route_roles", "token_hash",
]

_log = Logger(namespace="kismet_tx.auth")

COOKIE = b"KISMET"
#: Kismet's roles. ``admin`` passes every route; ``any`` on a route accepts every
#: logged-in role; otherwise the caller's role must be one the route names.
READONLY = "readonly"
ANY_ROLE = "any"
DATASOURCE = "datasource"
SCANREPORT = "scanreport"
WEBGPS = "WEBGPS"
ADSB = "ADSB"
#: Session kinds (how the caller proved who it is).
FROM_COOKIE = "cookie"
FROM_TOKEN = "token"
FROM_APIKEY = "apikey"
FROM_BASIC = "basic"
FROM_URI = "uri"
#: What a token may look like; anything else (a CRLF, a quote) is no token.
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
#: Distinct valid Basic credentials remembered with their web logon session.
_BASIC_CACHE = 64


class Access(enum.Enum):
    """What a route asks of the caller; declared on the route line."""

    #: A read that reveals no configuration: open unless ``httpd_auth_all``.
    PUBLIC = "public"
    #: Commands, configuration and streams: a login is always needed.
    LOGIN = "login"
    #: Open even with ``httpd_auth_all`` (the few routes a client needs before login).
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Credentials:
    """The admin login, and where it came from (``global`` config or ``user`` file)."""

    username: str
    password: str
    origin: str
    path: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Who made a request, with which role and how (``kind``: cookie, token,
    apikey, basic or uri); ``token`` is the session to echo in ``Set-Cookie``
    (None for an API key, which is never turned into a cookie)."""

    user: str
    token: str | None
    role: str = ADMIN
    kind: str = FROM_COOKIE


def is_command(path: str, methods: tuple[str, ...], ext: str | None) -> bool:
    """Whether a route changes state: a ``.cmd`` route, or one that takes no GET."""
    return ext == "cmd" or path.endswith((".cmd", ".jcmd")) or "GET" not in methods


def route_roles(access: Access, path: str, methods: tuple[str, ...], ext: str | None,
                roles: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The roles a route accepts: its own ``roles``, else the defaults.

    Defaults: ``OPEN`` accepts anyone; a ``LOGIN`` command (:func:`is_command`)
    needs ``admin``; every other route (``LOGIN`` reads, ``PUBLIC`` routes when
    a login is needed) accepts ``readonly`` (and ``admin``, which passes all).
    """
    if roles:
        return roles
    if access is Access.OPEN:
        return (ANY_ROLE,)
    if access is Access.LOGIN and is_command(path, methods, ext):
        return (ADMIN,)
    return (READONLY,)


def role_allows(role: str, accepted: tuple[str, ...]) -> bool:
    """Kismet's ``match_role``: admin passes all, ``any`` takes every role, else equal."""
    if role == ADMIN or ANY_ROLE in accepted:
        return True
    return any(hmac.compare_digest(role.encode(), wanted.encode()) for wanted in accepted)


def generate_credentials(path: Path, username: str = "kismet") -> Credentials:
    """Write a fresh random admin login to ``path`` (mode 0600)."""
    password = secrets.token_urlsafe(18)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# Written by kismet_tx on first start: the admin login for the REST API.\n"
        f"httpd_username={username}\nhttpd_password={password}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
    return Credentials(username, password, "user", str(path))


def _valid_token(value: str | None) -> str | None:
    return value if value is not None and _TOKEN.match(value) else None


def _cookie_token(header: bytes | None) -> str | None:
    """The last ``KISMET`` cookie in a Cookie header (kismet_rest sends it twice)."""
    if not header:
        return None
    token = None
    for part in header.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == COOKIE and value:
            token = value.decode("latin-1")
    return _valid_token(token)


def _header_token(request: IRequest) -> str | None:
    """An API key or session token in a ``KISMET:`` or ``Authorization: Bearer`` header."""
    value = request.getHeader(b"kismet")
    if value is None:
        scheme, _, rest = (request.getHeader(b"authorization") or b"").strip().partition(b" ")
        if scheme.lower() != b"bearer":
            return None
        value = rest
    return _valid_token(value.strip().decode("latin-1"))


def _basic(header: bytes | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, data = header.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(data.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


class Authenticator:
    """Decides who a request comes from, following Part B 5.2's order."""

    def __init__(self, credentials: Credentials, sessions: SessionStore,
                 auth_all: bool = False, throttle: LoginThrottle | None = None) -> None:
        self._key = secrets.token_bytes(32)
        self.sessions = sessions
        self.auth_all = auth_all
        self.throttle = throttle
        #: Digest of a valid Basic header -> the token of its web logon session.
        self._basic: OrderedDict[bytes, str] = OrderedDict()
        #: Each request whose password was checked -> whether it was valid (checked
        #: once per request; forgotten with the request).
        self._password_checked: weakref.WeakKeyDictionary[IRequest, bool] = (
            weakref.WeakKeyDictionary())
        self.credentials = credentials

    @property
    def credentials(self) -> Credentials:
        """The admin login."""
        return self._credentials

    @credentials.setter
    def credentials(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._user_digest = self._digest(credentials.username)
        self._password_digest = self._digest(credentials.password)
        self._basic.clear()

    def _digest(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode("utf-8", "surrogateescape"),
                        hashlib.sha256).digest()

    def check_password(self, user: str, password: str) -> bool:
        """Constant-time check of a login against the admin credentials' keyed hashes."""
        if not self._credentials.password:
            return False
        user_ok = hmac.compare_digest(self._digest(user), self._user_digest)
        pass_ok = hmac.compare_digest(self._digest(password), self._password_digest)
        return user_ok and pass_ok

    def _offered(self, request: IRequest) -> tuple[str, str, str] | None:
        """``(kind, user, password)`` a request offers by Basic auth or the URI."""
        pair = _basic(request.getHeader(b"authorization"))
        if pair is not None:
            return (FROM_BASIC, *pair)
        user = _arg(request, b"user")
        password = _arg(request, b"password")
        if user is None or password is None:
            return None
        return (FROM_URI, user, password)

    def _verify(self, request: IRequest, user: str, password: str) -> bool:
        """A password check through the throttle (429 while the address is locked out).

        Checked once per request: a route that asks again gets the same answer,
        and a failure is counted and logged once.
        """
        done = self._password_checked.get(request)
        if done is not None:
            return done
        address = _address(request)
        if self.throttle is not None:
            self.throttle.check(address)
        valid = self.check_password(user, password)
        if self.throttle is not None:
            if valid:
                self.throttle.succeeded(address)
            else:
                self.throttle.failed(address, user)
        self._password_checked[request] = valid
        return valid

    def failure_delay(self, request: IRequest) -> float:
        """Seconds to hold a refusal of this request (its password failed), else 0."""
        if self.throttle is None or self._password_checked.get(request) is not False:
            return 0.0
        return self.throttle.delay(_address(request))

    def _cache_key(self, offered: tuple[str, str, str]) -> bytes:
        return self._digest("\0".join(offered))

    def _password_ok(self, request: IRequest, offered: tuple[str, str, str]) -> bool:
        """Whether an offered password is valid: known good, else checked."""
        if self._cache_key(offered) in self._basic:
            return True
        try:
            return self._verify(request, offered[1], offered[2])
        except TooManyRequests:
            return False  # a locked-out address still has its cookie

    def login_from(self, request: IRequest) -> bool:
        """True when the request carries a valid login (Basic or URI), ignoring cookies."""
        offered = self._offered(request)
        return offered is not None and self._verify(request, offered[1], offered[2])

    def identify(self, request: IRequest) -> Identity | None:
        """A live token first (cookie, then header, then ``?KISMET=``), then a password."""
        cookie_header = request.getHeader(b"cookie")
        token = _cookie_token(cookie_header)
        kind = FROM_COOKIE
        if token is None:
            kind = FROM_TOKEN
            token = _header_token(request)
            if token is None and cookie_header is None:
                token = _valid_token(_arg(request, b"KISMET"))
        offered = self._offered(request)
        if token:
            session = self.sessions.session(token)
            if session is not None:
                if kind == FROM_COOKIE and offered is not None and self._password_ok(
                        request, offered):
                    # kismet_rest sends its cookie and its password: no ambient cookie.
                    kind = offered[0]
                return Identity(session.user, token, session.role, kind)
            key = self.sessions.key(token)
            if key is not None:
                return Identity(key.name, None, key.role, FROM_APIKEY)
        if offered is None:
            return None
        kind, user, password = offered
        cached = self._basic.get(self._cache_key(offered))
        if cached is not None and self.sessions.session(cached) is not None:
            return Identity(self._credentials.username, cached, ADMIN, kind)
        if not self._verify(request, user, password):
            return None
        session_token = self.sessions.create(self._credentials.username)
        self._basic[self._cache_key(offered)] = session_token
        while len(self._basic) > _BASIC_CACHE:
            self._basic.popitem(last=False)
        return Identity(self._credentials.username, session_token, ADMIN, kind)

    def logout(self, identity: Identity) -> bool:
        """End the caller's session (a Basic login's too); True if there was one."""
        if identity.token is None:
            return False
        for cache_key, token in list(self._basic.items()):
            if token == identity.token:
                del self._basic[cache_key]
        return self.sessions.end(identity.token)

    def needs_login(self, access: Access) -> bool:
        """Whether a route with ``access`` needs a login under this configuration."""
        if access is Access.LOGIN:
            return True
        if access is Access.PUBLIC:
            return self.auth_all
        return False

    def allows(self, access: Access, roles: tuple[str, ...], identity: Identity | None) -> bool:
        """Whether ``identity`` may use a route with this access and these roles."""
        if not self.needs_login(access):
            return True
        return identity is not None and role_allows(identity.role, roles)

    def setup_state(self) -> tuple[int, str]:
        """``/session/check_setup_ok`` answer."""
        if self.credentials.origin == "global":
            return 406, "Login configured in global config\n"
        if not self.credentials.password:
            return 500, "Login not configured\n"
        return 200, "Login configured in user config\n"

    def set_password(self, username: str, password: str) -> Credentials:
        """Replace the user-config login (``/session/set_password``); ends every session."""
        path = Path(self.credentials.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"httpd_username={username}\nhttpd_password={password}\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        self.credentials = Credentials(username, password, "user", str(path))
        self.sessions.end_all()
        return self.credentials


def _address(request: IRequest) -> str:
    peer = request.getClientAddress()
    return str(getattr(peer, "host", "") or "unknown")


def _arg(request: IRequest, name: bytes) -> str | None:
    values = (request.args or {}).get(name)
    if not values:
        return None
    try:
        value: bytes = values[-1]
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None
