"""Sessions and API keys, kept by token hash, and the file they persist in.

Tokens are never stored: the store keys every record by the SHA-256 of its
token, in memory and in ``<homedir>/session.db`` alike, so a leaked file or
heap dump gives no session or key away. A session (from a login) has a
lifetime, ``httpd_session_timeout``; an API key (``/auth/apikey/*``) has a
name, a role and an optional expiry.

The file is written by :class:`StoreWriter`: a change marks the store dirty,
and one write follows within :data:`WRITE_DELAY` seconds however many changes
came in between; the bytes are built on the reactor and written off it (a
thread), to a temporary file that is flushed, synced and renamed over the old
one, so a crash leaves the old file or the new one, never half of either.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from twisted.internet import defer, threads
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

_log = Logger(namespace="kismet_tx.auth")

#: Default session lifetime, seconds (``httpd_session_timeout``).
DEFAULT_SESSION_TIMEOUT = 7200
#: Most sessions kept at once; the oldest are dropped beyond this.
MAX_SESSIONS = 4096
#: Most API keys kept.
MAX_API_KEYS = 1024
#: Seconds between a change and the write that saves it (changes in between share it).
WRITE_DELAY = 1.0

ADMIN = "admin"


def token_hash(token: str) -> str:
    """The SHA-256 hex digest a token is stored under."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(slots=True)
class Grant:
    """A session or an API key: who it is for, its role, until when (0: forever)."""

    user: str
    role: str
    expires: float
    name: str = ""
    created: float = 0.0

    @property
    def is_key(self) -> bool:
        return bool(self.name)


Runner = Callable[[Callable[[], None]], "defer.Deferred[None]"]


def _in_thread(work: Callable[[], None]) -> defer.Deferred[None]:
    return threads.deferToThread(work)


class StoreWriter:
    """Batched, atomic writes of one file, off the reactor.

    ``run`` executes the write (``deferToThread`` by default; tests pass a
    synchronous runner). ``writes`` counts the files written.
    """

    def __init__(self, clock: IReactorTime, path: Path, snapshot: Callable[[], bytes],
                 run: Runner = _in_thread, delay: float = WRITE_DELAY) -> None:
        self._clock = clock
        self._path = path
        self._snapshot = snapshot
        self.run = run
        self._delay = delay
        self._pending: IDelayedCall | None = None
        self._writing: defer.Deferred[None] | None = None
        self._again = False
        self._waiters: list[defer.Deferred[None]] = []
        self.writes = 0

    def mark(self) -> None:
        """Note a change; one write follows within the delay."""
        if self._pending is None or not self._pending.active():
            self._pending = self._clock.callLater(self._delay, self.flush)

    def flush(self) -> defer.Deferred[None]:
        """Write now (after any write in progress); fires when the file is on disk."""
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        self._pending = None
        waiter: defer.Deferred[None] = defer.Deferred()
        self._waiters.append(waiter)
        if self._writing is None:
            self._start()
        else:
            self._again = True
        return waiter

    def _start(self) -> None:
        data = self._snapshot()
        waiters, self._waiters = self._waiters, []
        self._writing = self.run(lambda: self._write(data))
        self._writing.addErrback(self._failed)
        self._writing.addBoth(self._written, waiters)

    def _written(self, _: Any, waiters: list[defer.Deferred[None]]) -> None:
        self._writing = None
        for waiter in waiters:
            waiter.callback(None)
        if self._again:
            self._again = False
            self._start()

    def _failed(self, failure: Any) -> None:
        _log.warn("cannot save sessions: {err}", err=str(failure.value))

    def _write(self, data: bytes) -> None:
        tmp = self._path.with_name(self._path.name + ".tmp")
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)
        self.writes += 1


class SessionStore:
    """Sessions and API keys keyed by token hash, with expiry, optionally persisted."""

    def __init__(self, clock: IReactorTime, timeout: float = DEFAULT_SESSION_TIMEOUT,
                 path: Path | None = None, max_sessions: int = MAX_SESSIONS,
                 run: Runner = _in_thread) -> None:
        self._clock = clock
        self.timeout = timeout
        self._path = path
        self._max = max_sessions
        self._sessions: OrderedDict[str, Grant] = OrderedDict()
        self._keys: dict[str, Grant] = {}
        self.writer = None if path is None else StoreWriter(clock, path, self._dump, run)
        self._load()

    # -- persistence --------------------------------------------------------------

    def _load(self) -> None:
        if self._path is None or not self._path.exists():
            return
        try:
            data = orjson.loads(self._path.read_bytes())
            now = self._clock.seconds()
            for item in data:
                if isinstance(item, list):  # the format before API keys
                    digest, grant = str(item[0]), Grant(str(item[1]), ADMIN, float(item[2]))
                else:
                    digest = str(item["token_hash"])
                    grant = Grant(str(item["user"]), str(item["role"]), float(item["expires"]),
                                  str(item.get("name", "")), float(item.get("created", 0)))
                if grant.expires and grant.expires <= now:
                    continue
                (self._keys if grant.is_key else self._sessions)[digest] = grant
        except (OSError, orjson.JSONDecodeError, TypeError, ValueError, IndexError, KeyError):
            _log.warn("ignoring unreadable session file {path}", path=str(self._path))

    def _dump(self) -> bytes:
        rows = [{"token_hash": digest, "user": g.user, "role": g.role, "expires": g.expires,
                 "name": g.name, "created": g.created}
                for records in (self._sessions, self._keys) for digest, g in records.items()]
        return orjson.dumps(rows)

    def _changed(self) -> None:
        if self.writer is not None:
            self.writer.mark()

    def flush(self) -> defer.Deferred[None]:
        """Write any change now (server stop); fires once it is on disk."""
        if self.writer is None:
            return defer.succeed(None)
        return self.writer.flush()

    # -- sessions -----------------------------------------------------------------

    def create(self, user: str, role: str = ADMIN) -> str:
        """Start a session for ``user``; returns its token (32 hex digits)."""
        token = secrets.token_hex(16)
        self._sessions[token_hash(token)] = Grant(user, role, self._clock.seconds() + self.timeout)
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        self._changed()
        return token

    def user_for(self, token: str) -> str | None:
        """The user of a live session, or None if unknown or expired."""
        grant = self.session(token)
        return None if grant is None else grant.user

    def session(self, token: str) -> Grant | None:
        """The live session of a token, or None."""
        digest = token_hash(token)
        grant = self._sessions.get(digest)
        if grant is None:
            return None
        if grant.expires <= self._clock.seconds():
            del self._sessions[digest]
            return None
        return grant

    def end(self, token: str) -> bool:
        """End a session (logout); True if it was live."""
        if self._sessions.pop(token_hash(token), None) is None:
            return False
        self._changed()
        return True

    def end_all(self) -> None:
        """End every session (the login changed)."""
        if self._sessions:
            self._sessions.clear()
            self._changed()

    def __len__(self) -> int:
        return len(self._sessions)

    # -- API keys -----------------------------------------------------------------

    def add_key(self, name: str, role: str, duration: float) -> str:
        """A new API key (32 uppercase hex digits, as Kismet's); ``duration`` 0 is forever.

        Raises KeyError for a name in use and OverflowError beyond :data:`MAX_API_KEYS`.
        """
        if any(grant.name == name for grant in self.keys()):
            raise KeyError(name)
        if len(self._keys) >= MAX_API_KEYS:
            raise OverflowError(MAX_API_KEYS)
        token = secrets.token_hex(16).upper()
        now = self._clock.seconds()
        self._keys[token_hash(token)] = Grant(name, role, now + duration if duration else 0.0,
                                              name, now)
        self._changed()
        return token

    def key(self, token: str) -> Grant | None:
        """The live API key of a token, or None."""
        grant = self._keys.get(token_hash(token))
        if grant is None or (grant.expires and grant.expires <= self._clock.seconds()):
            return None
        return grant

    def keys(self) -> list[Grant]:
        """Every live API key, oldest first."""
        now = self._clock.seconds()
        return [g for g in self._keys.values() if not g.expires or g.expires > now]

    def revoke_key(self, name: str) -> bool:
        """Remove the API key called ``name``; True if there was one."""
        for digest, grant in list(self._keys.items()):
            if grant.name == name:
                del self._keys[digest]
                self._changed()
                return True
        return False
