"""Logins and sessions (Part A item 5, Part B 5).

Basic auth (or ``?user=&password=``) against the admin login creates a
session whose token goes out as the ``KISMET`` cookie; the token is honoured
until it expires. Tokens are 128-bit random; the store keeps only their
SHA-256, so a leaked session file gives no sessions away. Secrets are
compared in constant time and never logged.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import os
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

_log = Logger(namespace="kismet_tx.auth")

COOKIE = b"KISMET"
#: Default session lifetime, seconds (``httpd_session_timeout``).
DEFAULT_SESSION_TIMEOUT = 7200
#: Most sessions kept at once; the oldest are dropped beyond this.
MAX_SESSIONS = 4096


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
    """Who made a request; ``token`` is the session to echo in ``Set-Cookie``."""

    user: str
    token: str | None


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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionStore:
    """Server-side sessions keyed by token hash, with expiry, optionally persisted."""

    def __init__(self, clock: IReactorTime, timeout: float = DEFAULT_SESSION_TIMEOUT,
                 path: Path | None = None, max_sessions: int = MAX_SESSIONS) -> None:
        self._clock = clock
        self._timeout = timeout
        self._path = path
        self._max = max_sessions
        self._sessions: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._load()

    def _load(self) -> None:
        if self._path is None or not self._path.exists():
            return
        try:
            data = orjson.loads(self._path.read_bytes())
            now = self._clock.seconds()
            for item in data:
                digest, user, expires = str(item[0]), str(item[1]), float(item[2])
                if expires > now:
                    self._sessions[digest] = (user, expires)
        except (OSError, orjson.JSONDecodeError, TypeError, ValueError, IndexError):
            _log.warn("ignoring unreadable session file {path}", path=str(self._path))

    def _save(self) -> None:
        if self._path is None:
            return
        rows = [[d, u, e] for d, (u, e) in self._sessions.items()]
        tmp = self._path.with_suffix(".tmp")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(orjson.dumps(rows))
            os.replace(tmp, self._path)
        except OSError as exc:
            _log.warn("cannot save sessions: {err}", err=str(exc))

    def create(self, user: str) -> str:
        """Start a session for ``user``; returns its token."""
        token = secrets.token_hex(16)
        self._sessions[_hash(token)] = (user, self._clock.seconds() + self._timeout)
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        self._save()
        return token

    def user_for(self, token: str) -> str | None:
        """The user of a live session, or None if unknown or expired."""
        digest = _hash(token)
        entry = self._sessions.get(digest)
        if entry is None:
            return None
        user, expires = entry
        if expires <= self._clock.seconds():
            del self._sessions[digest]
            return None
        return user

    def __len__(self) -> int:
        return len(self._sessions)


def _cookie_token(header: bytes | None) -> str | None:
    """The last ``KISMET`` cookie in a Cookie header (kismet_rest sends it twice)."""
    if not header:
        return None
    token = None
    for part in header.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == COOKIE and value:
            token = value.decode("latin-1")
    return token


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
                 auth_all: bool = False) -> None:
        self.credentials = credentials
        self.sessions = sessions
        self.auth_all = auth_all

    def check_password(self, user: str, password: str) -> bool:
        """Constant-time check of a login against the admin credentials."""
        creds = self.credentials
        if not creds.password:
            return False
        user_ok = hmac.compare_digest(user.encode("utf-8"), creds.username.encode("utf-8"))
        pass_ok = hmac.compare_digest(password.encode("utf-8"), creds.password.encode("utf-8"))
        return user_ok and pass_ok

    def login_from(self, request: Any) -> bool:
        """True when the request carries a valid login (Basic or URI), ignoring cookies."""
        pair = _basic(request.getHeader(b"authorization"))
        if pair is None:
            user = _arg(request, b"user")
            password = _arg(request, b"password")
            if user is None or password is None:
                return False
            pair = (user, password)
        return self.check_password(*pair)

    def identify(self, request: Any) -> Identity | None:
        """Session cookie first, then Basic auth, then ``?user=&password=``."""
        cookie_header = request.getHeader(b"cookie")
        token = _cookie_token(cookie_header)
        if token is None and cookie_header is None:
            token = _arg(request, b"KISMET")
        if token:
            user = self.sessions.user_for(token)
            if user is not None:
                return Identity(user, token)
        if self.login_from(request):
            user = self.credentials.username
            return Identity(user, self.sessions.create(user))
        return None

    def needs_login(self, access: Access) -> bool:
        """Whether a route with ``access`` needs a login under this configuration."""
        if access is Access.LOGIN:
            return True
        if access is Access.PUBLIC:
            return self.auth_all
        return False

    def setup_state(self) -> tuple[int, str]:
        """``/session/check_setup_ok`` answer."""
        if self.credentials.origin == "global":
            return 406, "Login configured in global config\n"
        if not self.credentials.password:
            return 500, "Login not configured\n"
        return 200, "Login configured in user config\n"

    def set_password(self, username: str, password: str) -> Credentials:
        """Replace the user-config login (``/session/set_password``)."""
        path = Path(self.credentials.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"httpd_username={username}\nhttpd_password={password}\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        self.credentials = Credentials(username, password, "user", str(path))
        return self.credentials


def _arg(request: Any, name: bytes) -> str | None:
    values = (getattr(request, "args", None) or {}).get(name)
    if not values:
        return None
    try:
        return values[-1].decode("utf-8")
    except UnicodeDecodeError:
        return None
