"""Remote capture, server side: a sensor's connection and the datasource it feeds.

A capture tool (Kismet's ``kismet_cap_*``, ``kismetexternal`` helpers or our
``kismet_tx-capture``) connects over TCP or the websocket and announces its
source (``NEWSOURCE``). The server asks it to open (``OPENREQ``); the open
report gives the link type, channels and hopping. From then on the sensor's
packets go into a :class:`RemoteSource`, a full datasource: it is listed with
the local ones, takes set_channel, hop, pause, resume and close, and keeps its
UUID, counters and settings across reconnects. A sensor that goes away leaves
its source in the error state until it connects again.

A :class:`RemoteSession` is transport-neutral: it is given bytes and two
callables (send, drop). Anything that is not the protocol (garbage, a bad
checksum, a length over the limit, packets before the open, a stream of
control messages) posts an error naming the peer and drops the connection.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from twisted.internet.interfaces import IDelayedCall, IReactorTime

from kismet_tx.capture.external.frames import (
    MAX_FRAME,
    V3,
    FrameDecoder,
    Message,
    ProtocolError,
    encode,
)
from kismet_tx.capture.remotesource import REMOTE_FIELDS, RemoteSource
from kismet_tx.capture.system import META
from kismet_tx.messagebus import ERROR, INFO

if TYPE_CHECKING:
    from kismet_tx.capture.remotecapture import RemoteCapture

#: Seconds a new connection has to announce and open its source.
HANDSHAKE_TIMEOUT = 30.0
#: Seconds between the server's PINGs.
PING_INTERVAL = 5.0
#: Seconds without a byte from the sensor before it is dropped.
PEER_TIMEOUT = 30.0
#: Control messages (anything but packets) a sensor may send per second.
MAX_CONTROL_RATE = 200


def _u32(value: object) -> TypeGuard[int]:
    """An int that fits 32 unsigned bits."""
    return isinstance(value, int) and 0 <= value < 1 << 32


def _text(body: dict[str, Any], key: str, what: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise ProtocolError(f"{what} field {key!r} is not a string")
    return value


class RemoteSession:
    """One sensor connection: handshake, keepalive, packets, errors."""

    def __init__(self, *, capture: RemoteCapture, clock: IReactorTime, peer: str,
                 send: Callable[[bytes], None], drop: Callable[[], None],
                 max_frame: int = MAX_FRAME, transport: str = "tcp") -> None:
        self._capture = capture
        self._clock = clock
        self.peer = peer
        self.transport = transport
        self._send_bytes = send
        self._drop = drop
        self._decoder = FrameDecoder(max_frame)
        self.source: RemoteSource | None = None
        self.closed = False
        self._seqno = 0
        self._open_seqno: int | None = None
        self._announced: dict[str, str] | None = None
        self._last_heard = clock.seconds()
        self._control_second = -1
        self._control_count = 0
        self._timer: IDelayedCall | None = clock.callLater(HANDSHAKE_TIMEOUT, self._handshake_late)
        self._pinger: IDelayedCall | None = None

    @property
    def version(self) -> int:
        """The framing the sensor speaks (v3 until it has said)."""
        version = self._decoder.version
        return V3 if version is None else version

    def send(self, message: Message) -> None:
        """Send one message in the sensor's framing."""
        if self.closed:
            return
        if not message.seqno:
            self._seqno += 1
            message.seqno = self._seqno
        self._send_bytes(encode(message, self.version))

    # -- input ------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        """Bytes from the sensor (a TCP read or a websocket message)."""
        if self.closed:
            return
        self._last_heard = self._clock.seconds()
        try:
            messages = self._decoder.feed(data)
            run: list[tuple[int, bytes, int, int]] = []
            for message in messages:
                if message.kind == "PACKET" and "packet" in message.body:
                    if "gps" in message.body and self.source is not None:
                        reported = self.source.parse_gps(message.body["gps"])
                        if reported != self.source.sensor_gps:
                            self._flush(run)  # earlier packets keep the earlier position
                            run = []
                            self.source.set_gps(reported)
                    run.append(self._packet(message.body["packet"]))
                    continue
                self._flush(run)
                run = []
                self._control(message)
                if self.closed:
                    return
            self._flush(run)
        except ProtocolError as exc:
            self.fail(str(exc))

    def _packet(self, packet: dict[str, Any]) -> tuple[int, bytes, int, int]:
        if self.source is None:
            raise ProtocolError("packet data before the source was opened")
        content = packet.get("content")
        dlt, ts_s, ts_us = packet.get("dlt"), packet.get("ts_s", 0), packet.get("ts_us", 0)
        if not isinstance(content, bytes) or not (_u32(dlt) and _u32(ts_s) and _u32(ts_us)):
            raise ProtocolError("packet block without binary content, link type or timestamp")
        return dlt, content, ts_s, min(ts_us, 999_999)

    def _flush(self, run: list[tuple[int, bytes, int, int]]) -> None:
        source = self.source
        if not run or source is None:
            return
        start = 0
        while start < len(run):
            dlt = run[start][0]
            parts: list[bytes] = []
            meta = bytearray()
            offset = 0
            stop = start
            while stop < len(run) and run[stop][0] == dlt:
                _, content, ts_s, ts_us = run[stop]
                meta += META.pack(ts_s, ts_us, offset, len(content))
                parts.append(content)
                offset += len(content)
                stop += 1
            source.deliver_frames(dlt, b"".join(parts), bytes(meta))
            start = stop

    def _control(self, message: Message) -> None:
        second = int(self._clock.seconds())
        if second != self._control_second:
            self._control_second, self._control_count = second, 0
        self._control_count += 1
        if self._control_count > MAX_CONTROL_RATE:
            raise ProtocolError(
                f"flooding: more than {MAX_CONTROL_RATE} control messages in one second")
        handler = getattr(self, f"_on_{message.kind.lower()}", None)
        if handler is None:
            raise ProtocolError(f"unexpected {message.kind} message from a capture source")
        handler(message)

    def _on_ping(self, message: Message) -> None:
        self.send(Message("PONG", {"ping_seqno": message.seqno}, seqno=message.seqno))

    def _on_pong(self, message: Message) -> None:
        """Keepalive answers only refresh ``_last_heard``."""

    def _on_message(self, message: Message) -> None:
        text = _text(message.body, "text", "MESSAGE")
        flags = message.body.get("type", INFO)
        self._capture.post(self, text, ERROR if flags in (4, 16) else INFO)

    def _on_warning(self, message: Message) -> None:
        if self.source is not None:
            self.source.warning = _text(message.body, "warning", "WARNING")

    def _on_error(self, message: Message) -> None:
        self.fail("the sensor reported an error: "
                  + (_text(message.body, "text", "ERROR") or "no reason given"), answer=False)

    def _on_shutdown(self, message: Message) -> None:
        self.close("the sensor shut down: "
                   + (_text(message.body, "reason", "SHUTDOWN") or "no reason given"))

    def _on_newsource(self, message: Message) -> None:
        if self._announced is not None:
            raise ProtocolError("a second NEWSOURCE on one connection")
        body = message.body
        definition = _text(body, "definition", "NEWSOURCE").strip()
        sourcetype = _text(body, "sourcetype", "NEWSOURCE").strip()
        raw_uuid = _text(body, "uuid", "NEWSOURCE").strip()
        if not definition:
            raise ProtocolError("NEWSOURCE without a source definition")
        try:
            uuid = str(uuidlib.UUID(raw_uuid)).upper() if raw_uuid else ""
        except ValueError:
            raise ProtocolError(f"NEWSOURCE uuid {raw_uuid!r} is not a UUID") from None
        problem = self._capture.check_new(uuid, sourcetype, self)
        if problem:
            self.fail(problem)
            return
        self._announced = {"definition": definition, "sourcetype": sourcetype, "uuid": uuid}
        self._seqno += 1
        self._open_seqno = self._seqno
        self.send(Message("OPENREQ", {"definition": definition}, seqno=self._seqno))

    def _on_openreport(self, message: Message) -> None:
        if self._announced is None or self.source is not None:
            raise ProtocolError("an OPENREPORT that answers no open request")
        if message.code != 0:
            self.fail("the sensor could not open its source: "
                      + (str(message.body.get("msg") or "") or "no reason given"), answer=False)
            return
        announced = dict(self._announced)
        if not announced["uuid"] and isinstance(message.body.get("uuid"), str):
            announced["uuid"] = message.body["uuid"]
        self.source = self._capture.attach(self, announced, message.body)
        self._cancel_timer()
        self._pinger = self._clock.callLater(PING_INTERVAL, self._ping)

    def _on_configreport(self, message: Message) -> None:
        if self.source is not None:
            self.source.configured(message)

    # -- keepalive and ending ---------------------------------------------------

    def _ping(self) -> None:
        self._pinger = None
        if self.closed:
            return
        if self._clock.seconds() - self._last_heard > PEER_TIMEOUT:
            self.fail(f"nothing heard from the sensor for {PEER_TIMEOUT:g} seconds")
            return
        self.send(Message("PING"))
        self._pinger = self._clock.callLater(PING_INTERVAL, self._ping)

    def _handshake_late(self) -> None:
        self._timer = None
        if self.source is None and not self.closed:
            self.fail(f"the source was not announced and opened within "
                      f"{HANDSHAKE_TIMEOUT:g} seconds")

    def _cancel_timer(self) -> None:
        for call in (self._timer, self._pinger):
            if call is not None and call.active():
                call.cancel()
        self._timer = self._pinger = None

    def fail(self, reason: str, answer: bool = True) -> None:
        """A protocol error: post it, tell the sensor when it can listen, drop it."""
        if self.closed:
            return
        self._capture.post(self, f"{reason}; connection dropped", ERROR)
        if answer:
            try:
                self.send(Message("ERROR", {"text": reason}, code=1))
            except ValueError:
                pass
        self.close(reason)

    def shutdown(self, reason: str) -> None:
        """The server ends the session (the source was closed)."""
        if self.closed:
            return
        try:
            self.send(Message("SHUTDOWN", {"reason": reason}))
        except ValueError:
            pass
        self.close(reason)

    def drop(self, reason: str) -> None:
        """End the session without a message to the sensor."""
        self.close(reason)

    def close(self, reason: str) -> None:
        """End the session and drop the connection."""
        if self.closed:
            return
        self.closed = True
        self._cancel_timer()
        source, self.source = self.source, None
        if source is not None:
            source.detach(self, reason)
        self._capture.forget(self)
        self._drop()

    def connection_lost(self, reason: str = "connection closed") -> None:
        """The transport ended (the sensor went away)."""
        if not self.closed:
            self.close(reason)


__all__ = ["REMOTE_FIELDS", "RemoteSession", "RemoteSource"]
