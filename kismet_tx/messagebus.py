"""The message bus: user-facing messages from every component.

Kismet keeps the last N messages and serves them over REST; each message is
also written to ``twisted.logger`` so it lands in the server log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from kismet_tx.fields import FieldDef

DEBUG = 1
INFO = 2
ERROR = 4
ALERT = 8
FATAL = 16
LOCAL = 32

#: Largest backlog a config may ask for (a bigger number is clamped, not an error).
MAX_BACKLOG = 1_000_000

_log = Logger(namespace="kismet_tx.messagebus")

MESSAGE_FIELDS = (
    FieldDef("kismet.messagebus.message_string", "string", "message text"),
    FieldDef("kismet.messagebus.message_flags", "int32",
             "flags: 1 debug, 2 info, 4 error, 8 alert, 16 fatal, 32 local"),
    FieldDef("kismet.messagebus.message_time", "uint64", "time the message was posted"),
    FieldDef("kismet.messagebus.list", "vector[kismet.messagebus.message]", "messages"),
    FieldDef("kismet.messagebus.timestamp", "uint64", "server time of this report"),
)


@dataclass(frozen=True, slots=True)
class Message:
    """One posted message."""

    text: str
    flags: int
    time: float

    def record(self) -> dict[str, Any]:
        """The ``kismet.messagebus.*`` record."""
        return {
            "kismet.messagebus.message_string": self.text,
            "kismet.messagebus.message_flags": self.flags,
            "kismet.messagebus.message_time": int(self.time),
        }


class MessageBus:
    """Keeps the last ``backlog`` messages and fans them out to listeners."""

    def __init__(self, clock: IReactorTime, backlog: int = 50) -> None:
        self._clock = clock
        self._messages: deque[Message] = deque(maxlen=min(max(1, backlog), MAX_BACKLOG))
        self._listeners: list[Callable[[Message], None]] = []

    def post(self, text: str, flags: int = INFO) -> Message:
        """Post a message; it is logged and kept in the backlog."""
        message = Message(text, flags, self._clock.seconds())
        self._messages.append(message)
        if flags & (ERROR | FATAL):
            _log.error("{text}", text=text)
        elif flags & ALERT:
            _log.warn("ALERT: {text}", text=text)
        else:
            _log.info("{text}", text=text)
        for listener in list(self._listeners):
            try:
                listener(message)
            except Exception:
                _log.failure("message bus listener failed")
        return message

    def subscribe(self, listener: Callable[[Message], None]) -> None:
        """Call ``listener`` for every future message."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Message], None]) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def messages(self) -> list[Message]:
        """All kept messages, oldest first."""
        return list(self._messages)

    def since(self, timestamp: float) -> list[Message]:
        """Messages strictly newer than ``timestamp`` (whole seconds, like Kismet)."""
        return [m for m in self._messages if timestamp < int(m.time)]
