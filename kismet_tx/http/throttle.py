"""Password guessing, slowed per client address (issue 16, Brute force).

Every failed password check counts against the client's address. After
:data:`FREE_FAILURES` failures each further refusal is answered later, twice as
late each time (from :data:`BASE_DELAY` up to :data:`MAX_DELAY`; the answer
waits on the reactor clock, nothing blocks), and after ``lockout_after``
failures within :data:`WINDOW` seconds the address is locked out for
``lockout`` seconds: every password it offers is answered 429 with
``Retry-After``, unchecked. A good password clears the address's count.
Session cookies and API keys never pass through here, so clients already
logged in are never slowed, whatever their address.

Each failure is logged once, with the user name given (quoted) and never the
password; a lockout is logged when it starts.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from kismet_tx.http.errors import TooManyRequests

_log = Logger(namespace="kismet_tx.auth")

#: Failures answered at once before the delays start.
FREE_FAILURES = 3
#: First delay, seconds; it doubles with each failure.
BASE_DELAY = 0.25
#: Longest delay, seconds.
MAX_DELAY = 8.0
#: Default failures before a lockout (``httpd_login_failures``).
LOCKOUT_AFTER = 10
#: Default lockout, seconds (``httpd_login_lockout``).
LOCKOUT_SECONDS = 300.0
#: Seconds after the last failure when an address's count starts again.
WINDOW = 900.0
#: Addresses tracked at once (the oldest are forgotten beyond this).
MAX_ADDRESSES = 10_000


@dataclass(slots=True)
class _Record:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0
    refused: int = 0


class LoginThrottle:
    """Failed-login counts, delays and lockouts per client address."""

    def __init__(self, clock: IReactorTime, lockout_after: int = LOCKOUT_AFTER,
                 lockout: float = LOCKOUT_SECONDS) -> None:
        self._clock = clock
        self.lockout_after = max(1, lockout_after)
        self.lockout = lockout
        self._records: OrderedDict[str, _Record] = OrderedDict()
        #: Failures counted and password attempts refused unchecked, over all addresses.
        self.failures = 0
        self.refused = 0

    def _record(self, address: str) -> _Record | None:
        record = self._records.get(address)
        if record is not None and not record.locked_until > self._clock.seconds() \
                and self._clock.seconds() - record.last > WINDOW:
            del self._records[address]
            return None
        return record

    def check(self, address: str) -> None:
        """Raise :class:`TooManyRequests` while ``address`` is locked out."""
        record = self._record(address)
        if record is None:
            return
        remaining = record.locked_until - self._clock.seconds()
        if remaining > 0:
            record.refused += 1
            self.refused += 1
            raise TooManyRequests(remaining)

    def failed(self, address: str, user: str) -> None:
        """Count one failed password check from ``address`` and log it once."""
        now = self._clock.seconds()
        record = self._record(address)
        if record is None:
            record = self._records[address] = _Record()
            while len(self._records) > MAX_ADDRESSES:
                self._records.popitem(last=False)
        self._records.move_to_end(address)
        record.failures += 1
        record.last = now
        self.failures += 1
        _log.warn("failed login for user {user} from {address} ({count} failures)",
                  user=repr(user[:64]), address=address, count=record.failures)
        if record.failures >= self.lockout_after:
            record.locked_until = now + self.lockout
            record.failures = 0
            _log.warn("login locked for {address} for {seconds:.0f} s after {count} failures",
                      address=address, seconds=self.lockout, count=self.lockout_after)

    def succeeded(self, address: str) -> None:
        """A good password from ``address``: its count starts again."""
        self._records.pop(address, None)

    def delay(self, address: str) -> float:
        """Seconds to hold the refusal of ``address``'s latest failure."""
        record = self._record(address)
        if record is None or record.failures <= FREE_FAILURES:
            return 0.0
        delay: float = BASE_DELAY * 2 ** (record.failures - FREE_FAILURES - 1)
        return min(MAX_DELAY, delay)

    def locked(self, address: str) -> bool:
        """Whether ``address`` is locked out now."""
        record = self._record(address)
        return record is not None and record.locked_until > self._clock.seconds()
