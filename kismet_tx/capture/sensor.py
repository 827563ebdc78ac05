"""``kismet_tx-capture``: a sensor that streams one local source to a Kismet server.

It takes the arguments of Kismet's capture tools::

    kismet_tx-capture --connect 10.0.0.1:3501 --tcp --source=wlan0:name=mast1
    kismet_tx-capture --connect ws://10.0.0.1:2501 --user U --password P --source=...
    kismet_tx-capture --connect 10.0.0.1:2501 --apikey K --source=/data/site.pcapng

A ``ws://`` address, or ``--user``/``--apikey`` without ``--tcp``, uses the
websocket (``/datasource/remote/remotesource.ws``, or ``--endpoint``);
``tcp://``, ``--tcp`` or a bare ``host:port`` without a login uses the legacy
TCP protocol. The source (a capture file or a Linux Wi-Fi interface, as for
``-c``) runs here with kismet_tx's own drivers; the server opens it, tunes it
and hops it over the protocol. The framing is v3, as Kismet 2025's tools speak
(``--protocol 2`` for older servers). Unless ``--disable-retry`` is given the
sensor reconnects every 5 seconds after the server goes away.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import quote, urlsplit

import msgpack
from twisted.internet.interfaces import IPushProducer
from twisted.internet.protocol import ClientFactory, Protocol
from zope.interface import implementer

from kismet_tx.capture.datasource import Datasource
from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.external.frames import (
    SIGNATURE,
    V3,
    V3_HEADER,
    V3_SENTINEL,
    V3_TYPES,
    FrameDecoder,
    Message,
    ProtocolError,
    encode,
)
from kismet_tx.capture.sourcecommands import SourceCommandError, SourceStateError
from kismet_tx.capture.system import META
from kismet_tx.messagebus import ERROR, MessageBus
from kismet_tx.sourcedefinition import SourceDefinitionError

ENDPOINT = "/datasource/remote/remotesource.ws"
RETRY_DELAY = 5.0
#: Local messages forwarded to the server per second (the rest are only logged).
MAX_MESSAGES = 10
_PACKET = V3_TYPES["PACKET"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Kismet capture tool arguments."""
    parser = argparse.ArgumentParser(
        prog="kismet_tx-capture", description="Stream a capture source to a Kismet server.")
    parser.add_argument("--connect", required=True, help="host:port, tcp://host:port or ws://")
    parser.add_argument("--source", required=True, help="source definition, as for -c")
    parser.add_argument("--tcp", action="store_true", help="use the legacy TCP protocol")
    parser.add_argument("--user", help="login for the websocket")
    parser.add_argument("--password", help="password for the websocket")
    parser.add_argument("--apikey", help="API key (or session token) for the websocket")
    parser.add_argument("--endpoint", default=ENDPOINT, help="websocket path")
    parser.add_argument("--fixed-gps", help="lat,lon or lat,lon,alt sent with every packet")
    parser.add_argument("--gps-name", default="fixed", help="name of the fixed GPS")
    parser.add_argument("--disable-retry", action="store_true", help="exit when disconnected")
    parser.add_argument("--protocol", type=int, choices=(0, 2, 3), default=V3,
                        help="framing to speak (default 3)")
    options = parser.parse_args(argv)
    if (options.user is None) != (options.password is None):
        parser.error("--user and --password go together")
    if options.fixed_gps is not None:
        try:
            parts = [float(p) for p in options.fixed_gps.split(",")]
        except ValueError:
            parts = []
        if len(parts) not in (2, 3):
            parser.error("--fixed-gps expects lat,lon or lat,lon,alt")
        options.gps = (parts + [0.0])[:3]
    else:
        options.gps = None
    target = options.connect
    login = options.user is not None or options.apikey is not None
    if "://" not in target:
        target = ("tcp://" if options.tcp or not login else "ws://") + target
    url = urlsplit(target)
    if url.scheme not in ("tcp", "ws") or not url.hostname or not url.port:
        parser.error(f"--connect {options.connect!r}: expected host:port, tcp:// or ws://")
    options.scheme, options.host, options.port = url.scheme, url.hostname, url.port
    if options.scheme == "ws":
        if not login:
            parser.error("a websocket connection needs --user/--password or --apikey")
        path = url.path or options.endpoint
        query = (f"user={quote(options.user)}&password={quote(options.password)}"
                 if options.user is not None else f"KISMET={quote(options.apikey)}")
        options.url = f"ws://{url.hostname}:{url.port}{path}?{query}"
    return options


def packet_frame(dlt: int, sec: int, usec: int, content: bytes, seqno: int,
                 gps: dict[int, Any] | None) -> bytes:
    """One v3 PACKET frame (the sensor's hot path, packed directly)."""
    body: dict[int, Any] = {4: {1: dlt, 2: sec, 3: usec, 4: len(content), 6: content}}
    if gps is not None:
        body[1] = gps
    payload = msgpack.packb(body, use_bin_type=True)
    return V3_HEADER.pack(SIGNATURE, V3_SENTINEL, 3, len(payload), _PACKET, 0,
                          seqno & 0xFFFFFFFF) + payload


@implementer(IPushProducer)
class Sensor:
    """The sensor's one source and its link to the server (either transport)."""

    def __init__(self, options: argparse.Namespace, reactor: Any,
                 sources: DatasourceTracker | None = None) -> None:
        self.options = options
        self.reactor = reactor
        self.bus = MessageBus(reactor)
        if sources is None:
            from kismet_tx.capture.linux import LinuxCaptureSystem

            sources = DatasourceTracker(clock=reactor, reactor=reactor, bus=self.bus,
                                        sink=self._sink, system=LinuxCaptureSystem())
        self.sources = sources
        self.source: Datasource | None = None
        self.exit_code = 0
        self.sent_packets = 0
        self._send: Any = None
        self._close: Any = None
        self._decoder = FrameDecoder()
        self._seqno = 0
        self._stopping = False
        self._held = False
        self._message_second = -1
        self._message_count = 0
        self._gps: dict[int, Any] | None = None
        if options.gps is not None:
            lat, lon, alt = options.gps
            self._gps = {1: lat, 2: lon, 3: alt, 4: 3, 10: "fixed", 11: options.gps_name}
        self.bus.subscribe(self._forward_message)

    def log(self, text: str) -> None:
        """A line on stderr, as Kismet's tools write."""
        print(text, file=sys.stderr, flush=True)

    # -- the server link ----------------------------------------------------------

    def start(self) -> None:
        """Connect (again)."""
        self.sources.startService()
        self.connect()

    def connect(self) -> None:
        """Open the configured transport."""
        if self.options.scheme == "ws":
            from kismet_tx.capture.sensorws import connect_websocket

            connect_websocket(self, self.options.url)
        else:
            self.reactor.connectTCP(self.options.host, self.options.port, _TcpFactory(self))

    def connected(self, send: Any, close: Any, producer_host: Any = None) -> None:
        """The transport is up: announce the source."""
        self._send, self._close = send, close
        self._decoder = FrameDecoder()
        if producer_host is not None:
            producer_host.registerProducer(self, True)
        self.log(f"INFO: Connected to '{self.options.host}:{self.options.port}'...")
        self._stop_source()
        try:
            built = self.sources.build(self.options.source)
        except SourceDefinitionError as exc:
            self.log(f"FATAL: bad --source: {exc}")
            self.exit_code = 2
            self.stop()
            return
        self.send(Message("NEWSOURCE", {"definition": self.options.source,
                                        "sourcetype": built.driver.type, "uuid": built.uuid}))

    def send(self, message: Message) -> None:
        """Send a message in the chosen framing."""
        if self._send is None:
            return
        if not message.seqno:
            self._seqno += 1
            message.seqno = self._seqno
        self._send(encode(message, self.options.protocol))

    def data_received(self, data: bytes) -> None:
        """Bytes from the server."""
        try:
            messages = self._decoder.feed(data)
        except ProtocolError as exc:
            self.log(f"ERROR: the server sent something unreadable: {exc}")
            self._drop()
            return
        for message in messages:
            handler = getattr(self, f"_on_{message.kind.lower()}", None)
            if handler is not None:
                handler(message)

    def lost(self, reason: str) -> None:
        """The connection ended."""
        self._send = self._close = None
        self._stop_source()
        if self._stopping:
            return
        if self.options.disable_retry:
            self.log(f"FATAL: connection to the server lost ({reason}); exiting")
            self.exit_code = 1
            self.stop()
            return
        self.log(f"ERROR: connection to the server lost ({reason}); "
                 f"reconnecting in {RETRY_DELAY:g} seconds")
        self.reactor.callLater(RETRY_DELAY, self.connect)

    def _drop(self) -> None:
        if self._close is not None:
            self._close()

    def stop(self) -> None:
        """Stop the source and the reactor."""
        self._stopping = True
        self._stop_source()
        self._drop()
        if getattr(self.reactor, "running", False):
            self.reactor.stop()

    # -- server commands ---------------------------------------------------------

    def _on_ping(self, message: Message) -> None:
        self.send(Message("PONG", {"ping_seqno": message.seqno}, seqno=message.seqno))

    def _on_shutdown(self, message: Message) -> None:
        self.log(f"INFO: the server shut this source down: {message.body.get('reason', '')}")
        self.stop()

    def _on_error(self, message: Message) -> None:
        self.log(f"ERROR: the server reported: {message.body.get('text', '')}")

    def _on_message(self, message: Message) -> None:
        self.log(f"INFO: server: {message.body.get('text', '')}")

    def _on_openreq(self, message: Message) -> None:
        seqno = message.seqno
        self._stop_source()
        try:
            source = self.sources.add(self.options.source)
        except SourceDefinitionError as exc:
            self.send(Message("OPENREPORT", {"seqno": seqno, "msg": str(exc)}, code=1))
            return
        if not source.capturing:
            reason = source.error_reason or "could not open"
            self.sources.remove(source.uuid)
            self.send(Message("OPENREPORT", {"seqno": seqno, "msg": reason}, code=1))
            return
        self.source = source
        self.log(f"INFO: opened source {source.source_name} ({source.driver.type})")
        self.send(Message("OPENREPORT", {
            "seqno": seqno, "dlt": source.dlt, "capif": source.capture_interface,
            "channels": list(source.channels), "hardware": source.hardware,
            "uuid": source.uuid, "msg": "source opened", **self._tuning(source)}))

    @staticmethod
    def _tuning(source: Datasource) -> dict[str, Any]:
        if source.hopping:
            return {"hop": {"channels": list(source.hop_channels), "rate": source.hop_rate,
                            "shuffle": source.hop_shuffle}}
        return {"channel": source.channel} if source.channel else {}

    def _on_configreq(self, message: Message) -> None:
        source = self.source
        seqno = message.seqno
        if source is None:
            self.send(Message("CONFIGREPORT", {"seqno": seqno, "msg": "no open source"}, code=1))
            return
        try:
            hop = message.body.get("hop")
            if isinstance(hop, dict):
                rate = hop.get("rate")
                source.set_hopping([str(c) for c in hop.get("channels") or []] or None,
                                   float(rate) if isinstance(rate, int | float) else None,
                                   hop.get("shuffle") if isinstance(hop.get("shuffle"), bool)
                                   else None)
            elif message.body.get("channel"):
                source.set_channel(str(message.body["channel"]))
        except (SourceCommandError, SourceStateError, ValueError) as exc:
            self.send(Message("CONFIGREPORT", {"seqno": seqno, "msg": str(exc)}, code=1))
            return
        self.send(Message("CONFIGREPORT", {"seqno": seqno, "msg": "configured",
                                           **self._tuning(source)}))

    # -- the source ---------------------------------------------------------------

    def _stop_source(self) -> None:
        self._held = False
        source, self.source = self.source, None
        if source is not None:
            self.sources.remove(source.uuid)

    def _sink(self, source: Datasource, dlt: int, batch: tuple[bytes, bytes]) -> int:
        send = self._send
        if send is None:
            return 0
        buffer, meta = batch
        if self.options.protocol == V3:
            parts = []
            for sec, usec, offset, caplen in META.iter_unpack(meta):
                self._seqno += 1
                parts.append(packet_frame(dlt, sec, usec, buffer[offset:offset + caplen],
                                          self._seqno, self._gps))
            send(b"".join(parts))
            self.sent_packets += len(parts)
            return 0
        gps = None
        if self._gps is not None:
            gps = {"lat": self._gps[1], "lon": self._gps[2], "alt": self._gps[3]}
        for sec, usec, offset, caplen in META.iter_unpack(meta):
            self.send(Message("PACKET", {"packet": {
                "dlt": dlt, "ts_s": sec, "ts_us": usec, "length": caplen,
                "content": buffer[offset:offset + caplen]}, "gps": gps}))
            self.sent_packets += 1
        return 0

    def _forward_message(self, message: Any) -> None:
        self.log(("ERROR: " if message.flags & ERROR else "INFO: ") + message.text)
        second = int(self.reactor.seconds())
        if second != self._message_second:
            self._message_second, self._message_count = second, 0
        self._message_count += 1
        if self._send is not None and self._message_count <= MAX_MESSAGES:
            self.send(Message("MESSAGE", {"type": 4 if message.flags & ERROR else 2,
                                          "text": message.text}))

    # IPushProducer: while the transport's buffer is full, the source stops reading
    # (a file waits; a live interface keeps capturing, nothing else can be done).

    def pauseProducing(self) -> None:
        if self.source is not None and self.source.capturing and not self._held:
            self._held = True
            self.source._pause_capture()

    def resumeProducing(self) -> None:
        if self.source is not None and self._held:
            self._held = False
            self.source._resume_capture()

    def stopProducing(self) -> None:
        self._stop_source()


class _TcpProtocol(Protocol):
    def __init__(self, sensor: Sensor) -> None:
        self.sensor = sensor

    def connectionMade(self) -> None:
        transport = self.transport
        assert transport is not None, "connectionMade without a transport"
        self.sensor.connected(transport.write, transport.loseConnection, transport)

    def dataReceived(self, data: bytes) -> None:
        self.sensor.data_received(data)

    def connectionLost(self, reason: Any = None) -> None:
        self.sensor.lost(reason.getErrorMessage() if reason is not None else "closed")


class _TcpFactory(ClientFactory):
    def __init__(self, sensor: Sensor) -> None:
        self.sensor = sensor

    def buildProtocol(self, addr: Any) -> _TcpProtocol:
        return _TcpProtocol(self.sensor)

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.sensor.lost(reason.getErrorMessage())


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    options = parse_args(argv)
    from twisted.internet import reactor

    sensor = Sensor(options, reactor)
    reactor.callWhenRunning(sensor.start)
    reactor.run()
    return sensor.exit_code


if __name__ == "__main__":
    sys.exit(main())
