"""pcapng streams over HTTP, 802.11 handshake pcaps, and the ``/streams/*`` registry endpoints.

Every stream needs a login and answers ``200`` with ``Content-Type:
application/vnd.tcpdump.pcap`` and a ``Content-Disposition`` filename, then a
chunked pcapng byte stream that runs until the client leaves or the stream is
closed with ``/streams/by-id/ID/close_stream.cmd`` (which ends the response
with its terminating chunk, so the client sees a normal end of file). An
unknown UUID is 404 before anything is streamed.

Each stream is a :class:`~kismet_tx.streams.producer.PacketStreamProducer`
registered with the transport as a streaming producer; it writes through a
:class:`~kismet_tx.http.directbody.DirectBody`, which sends to the socket at
once while the transport has nothing queued. Streams with the same
filter share one :class:`~kismet_tx.streams.feed.EncodedFeed`, so a packet
is encoded once however many clients watch; each stream gets the packets from
the moment of its request on. A paused client's packets wait in a backlog of
``httpd_stream_backlog`` bytes; beyond that whole packets are dropped and
counted in ``kismet.stream.dropped_packets``. Capture never waits for a client.

Streams and their filters: every packet; one datasource (by UUID); packets
sent by one device (802.11 source or transmitter address = the device's MAC);
packets of one BSSID (the frame's BSSID field). Error packets (bad FCS,
malformed) go to the all-packets and per-source streams only, since their
addresses cannot be trusted.

Handshake pcaps (``M-handshake.pcap``, ``.../device/CLIENT/pcap/handshake.pcap``)
are not streamed: a classic pcap of the AP's beacon and the EAPOL-Key frames
the device tracker kept (all clients, or one), empty but valid when there are
none. An unknown device, BSSID or UUID is 404.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any, cast

from klein import Klein
from twisted.web.server import Request

from kismet_tx.capture.datasourcetracker import DatasourceTracker
from kismet_tx.capture.system import DLT_IEEE802_11
from kismet_tx.http.auth import ADMIN, Access
from kismet_tx.http.context import HttpContext
from kismet_tx.http.directbody import DirectBody
from kismet_tx.http.errors import NotFound
from kismet_tx.http.results import Raw, Text
from kismet_tx.http.routing import GET, GET_POST, ApiRequest, endpoint
from kismet_tx.keys import MacError, mac_str, parse_mac
from kismet_tx.streams.feed import ALL_PACKETS, PacketFilter
from kismet_tx.streams.packet import StreamPacket
from kismet_tx.streams.pcap import pcap_file
from kismet_tx.streams.producer import DEFAULT_BACKLOG, PacketStreamProducer
from kismet_tx.streams.registry import StreamRegistry
from kismet_tx.tracker.device import Device
from kismet_tx.tracker.devices import DeviceTracker
from kismet_tx.tracker.dot11state import PHY_NAME

PCAP_CONTENT_TYPE = b"application/vnd.tcpdump.pcap"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """``name`` with every run of characters outside ``[A-Za-z0-9._-]`` made one ``_``."""
    return _UNSAFE_FILENAME.sub("_", name).strip("_") or "kismet"


def _decoded(packet: StreamPacket) -> object | None:
    """The decoded 802.11 frame of a chain packet; None for error packets and for
    packets that never went through the chain."""
    if getattr(packet, "error", True):
        return None
    decoded: object | None = getattr(packet, "decoded", None)
    return decoded


def sent_by(mac: bytes) -> PacketFilter:
    """Packets whose 802.11 source (or control-frame transmitter) address is ``mac``."""

    def accept(packet: StreamPacket) -> bool:
        decoded = _decoded(packet)
        return decoded is not None and getattr(decoded, "source", None) == mac

    return accept


def in_bss(bssid: bytes) -> PacketFilter:
    """Packets whose 802.11 BSSID field is ``bssid``."""

    def accept(packet: StreamPacket) -> bool:
        decoded = _decoded(packet)
        return decoded is not None and getattr(decoded, "bssid", None) == bssid

    return accept


class StreamsArea:
    """pcapng streams, handshake pcaps and the stream registry endpoints."""

    app = Klein()
    #: Its records may name local files: hidden from anonymous callers.
    scrub_for_anonymous = True

    def __init__(self, ctx: HttpContext, registry: StreamRegistry,
                 datasources: DatasourceTracker, backlog: int = DEFAULT_BACKLOG, *,
                 devices: DeviceTracker | None = None) -> None:
        self.ctx = ctx
        self._registry = registry
        self._datasources = datasources
        self._backlog = backlog
        self._devices = devices

    # -- streams ------------------------------------------------------------------

    @endpoint(app, "/pcap/all_packets", ext="pcapng", methods=GET, access=Access.LOGIN)
    def all_packets(self, call: ApiRequest) -> Raw:
        return self._everything(call)

    @endpoint(app, "/datasource/pcap/all_sources", ext="pcapng", methods=GET,
              access=Access.LOGIN)
    def all_sources(self, call: ApiRequest) -> Raw:
        return self._everything(call)

    def _everything(self, call: ApiRequest) -> Raw:
        return self.stream(call, "kismet-all-packets.pcapng", "pcapng of all packets",
                           ALL_PACKETS, None)

    @endpoint(app, "/datasource/pcap/by-uuid/<uuid>/<filename>", ext="pcapng", methods=GET,
              access=Access.LOGIN)
    def by_source(self, call: ApiRequest, uuid: str, filename: str) -> Raw:
        source = self._datasources.get(uuid)
        if source is None or filename.upper() not in ("PACKETS", source.uuid):
            raise NotFound(_path(call), f"no datasource with UUID {uuid}")
        wanted = source.uuid

        def from_source(packet: StreamPacket) -> bool:
            return packet.source_uuid == wanted

        name = safe_filename(f"kismet-datasource-{source.source_name}-{wanted}") + ".pcapng"
        return self.stream(call, name,
                           f"pcapng of packets for datasource {source.source_name} {wanted}",
                           ("datasource", wanted), from_source)

    @endpoint(app, "/devices/by-key/<key>/pcap/<filename>", ext="pcapng", methods=GET,
              access=Access.LOGIN)
    def by_device_old(self, call: ApiRequest, key: str, filename: str) -> Raw:
        device = self._device(call, key)
        if filename.upper() != device.key.upper():
            raise NotFound(_path(call))
        return self._device_stream(call, device)

    @endpoint(app, "/devices/pcap/by-key/<key>/packets", ext="pcapng", methods=GET,
              access=Access.LOGIN)
    def by_device(self, call: ApiRequest, key: str) -> Raw:
        return self._device_stream(call, self._device(call, key))

    def _device_stream(self, call: ApiRequest, device: Device) -> Raw:
        key = device.key
        return self.stream(call, f"kismet-device-{key}.pcapng",
                           f"pcapng of packets for dev key {key}", ("device", key),
                           sent_by(device.mac))

    @endpoint(app, "/phy/phy80211/by-bssid/<mac>/pcap/<filename>", ext="pcapng", methods=GET,
              access=Access.LOGIN)
    def by_bssid_old(self, call: ApiRequest, mac: str, filename: str) -> Raw:
        bssid = self._bssid(call, mac)
        if _mac_or_none(filename) != bssid:
            raise NotFound(_path(call))
        return self._bssid_stream(call, bssid)

    @endpoint(app, "/phy/phy80211/pcap/by-bssid/<mac>/packets", ext="pcapng", methods=GET,
              access=Access.LOGIN)
    def by_bssid(self, call: ApiRequest, mac: str) -> Raw:
        return self._bssid_stream(call, self._bssid(call, mac))

    def _bssid_stream(self, call: ApiRequest, bssid: bytes) -> Raw:
        text = mac_str(bssid)
        return self.stream(call, safe_filename(f"kismet-80211-bssid-{text}") + ".pcapng",
                           f"pcapng of packets for BSSID {text}", ("bssid", bssid),
                           in_bss(bssid))

    # -- handshakes -------------------------------------------------------------------

    @endpoint(app, "/phy/phy80211/by-bssid/<mac>/pcap/<filename>", ext="pcap", methods=GET,
              access=Access.LOGIN)
    def bssid_handshake(self, call: ApiRequest, mac: str, filename: str) -> Text:
        bssid = self._bssid(call, mac)
        base, dash, tail = filename.rpartition("-")
        if not dash or tail.lower() != "handshake" or _mac_or_none(base) != bssid:
            raise NotFound(_path(call))
        ap = self._ap(bssid)
        return self._handshake(call, ap, None, f"kismet-handshake-{mac_str(bssid)}.pcap")

    @endpoint(app, "/phy/phy80211/by-key/<key>/device/<client>/pcap/handshake", ext="pcap",
              methods=GET, access=Access.LOGIN)
    def client_handshake(self, call: ApiRequest, key: str, client: str) -> Text:
        ap = self._device(call, key)
        client_mac = _mac_or_none(client)
        if client_mac is None:
            raise NotFound(_path(call), f"invalid client MAC {client}")
        name = f"kismet-handshake-{ap.macaddr}-{mac_str(client_mac)}.pcap"
        return self._handshake(call, ap, client_mac, name)

    @endpoint(app, "/phy/phy80211/by-key/<key>/pcap/handshake-pmkid", ext="pcap",
              methods=GET, access=Access.LOGIN)
    def pmkid_handshake(self, call: ApiRequest, key: str) -> Text:
        """The AP's beacon snapshot and the EAPOL frame that carried its PMKID."""
        ap = self._device(call, key)
        pmkid = getattr(ap, "pmkid_frame", lambda: None)()
        beacon = getattr(ap, "beacon_snapshot", lambda: None)()
        frames = [f for f in (beacon, pmkid) if f is not None] if pmkid is not None else []
        return self._pcap(call, frames, f"{ap.macaddr}-pmkid.pcap")

    def _handshake(self, call: ApiRequest, ap: Device, client: bytes | None,
                   name: str) -> Text:
        assert self._devices is not None
        return self._pcap(call, self._devices.handshake_frames(ap, client), name)

    def _pcap(self, call: ApiRequest, frames: list[tuple[float, int, bytes]],
              name: str) -> Text:
        dlt = frames[0][1] if frames else DLT_IEEE802_11
        body = pcap_file(dlt, ((ts, data, len(data)) for ts, frame_dlt, data in frames
                               if frame_dlt == dlt))
        call.request.setHeader(b"Content-Disposition",
                               f'attachment; filename="{safe_filename(name)}"'.encode("ascii"))
        return Text(body, content_type=PCAP_CONTENT_TYPE)

    # -- lookups ----------------------------------------------------------------------

    def _device(self, call: ApiRequest, key: str) -> Device:
        device = self._devices.get(key) if self._devices is not None else None
        if device is None:
            raise NotFound(_path(call), f"no device with key {key}")
        return device

    def _bssid(self, call: ApiRequest, text: str) -> bytes:
        """A BSSID the 802.11 phy knows as a device; 404 otherwise."""
        mac = _mac_or_none(text)
        if mac is None or self._devices is None or not any(
                device.phy.name == PHY_NAME for device in self._devices.by_mac(mac)):
            raise NotFound(_path(call), f"no 802.11 device with MAC {text}")
        return mac

    def _ap(self, bssid: bytes) -> Device:
        assert self._devices is not None
        return next(device for device in self._devices.by_mac(bssid)
                    if device.phy.name == PHY_NAME)

    # -- the one way a stream starts ----------------------------------------------------

    def stream(self, call: ApiRequest, name: str, description: str, key: Hashable,
               packet_filter: PacketFilter | None) -> Raw:
        """Start a registered pcapng stream of the packets ``packet_filter`` accepts.

        ``key`` names the filter: streams with equal keys share one encoding.
        Area modules with their own lookups (devices, BSSIDs) call this once
        they have answered any 404.
        """
        request = call.request
        request.setResponseCode(200)
        request.setHeader(b"Content-Type", PCAP_CONTENT_TYPE)
        request.setHeader(b"Content-Disposition",
                          f'attachment; filename="{name}"'.encode("ascii"))
        registry = self._registry
        feed = registry.feed_for(key, packet_filter)
        stream_id = 0

        def closed() -> None:
            feed.leave(producer)
            registry.remove(stream_id)

        # twisted.web's requests are consumers too (IConsumer), which IRequest does not say.
        producer = PacketStreamProducer(DirectBody(cast(Request, request)), None,
                                        backlog_limit_bytes=self._backlog,
                                        on_close=closed, clock=self.ctx.clock,
                                        before_close=feed.flush)
        stream_id = registry.register(producer, name, "pcapng", "httpd", description,
                                      fanout=False)
        producer.start(feed.join(producer))
        return Raw()

    # -- registry -------------------------------------------------------------------

    @endpoint(app, "/streams/all_streams", methods=GET_POST)
    def all_streams(self, call: ApiRequest) -> Any:
        streams = self._registry.all_streams()
        spec = call.cmd.fields()
        return streams if spec is None else {key: spec.apply(record)
                                             for key, record in streams.items()}

    @endpoint(app, "/streams/by-id/<stream_id>/stream_info", methods=GET_POST)
    def stream_info(self, call: ApiRequest, stream_id: str) -> Any:
        record = self._registry.get(self._stream_id(call, stream_id))
        if record is None:
            raise NotFound(_path(call), f"no stream with id {stream_id}")
        spec = call.cmd.fields()
        return record if spec is None else spec.apply(record)

    @endpoint(app, "/streams/by-id/<stream_id>/close_stream", methods=GET_POST,
              access=Access.LOGIN, roles=(ADMIN,))
    def close_stream(self, call: ApiRequest, stream_id: str) -> Text:
        """End the stream (an HTTP client sees a clean end of file; a log is closed)."""
        if not self._registry.close(self._stream_id(call, stream_id)):
            raise NotFound(_path(call), f"no stream with id {stream_id}")
        return Text("OK\n")

    @staticmethod
    def _stream_id(call: ApiRequest, text: str) -> int:
        """Stream ids are whole numbers; Kismet's double form (``"3.0"``) is accepted."""
        try:
            value = float(text)
        except ValueError:
            raise NotFound(_path(call), f"no stream with id {text}") from None
        if not value.is_integer():
            raise NotFound(_path(call), f"no stream with id {text}")
        return int(value)


def _path(call: ApiRequest) -> str:
    path: bytes = call.request.path
    return path.decode("utf-8", "replace")


def _mac_or_none(text: str) -> bytes | None:
    try:
        return parse_mac(text)
    except MacError:
        return None
