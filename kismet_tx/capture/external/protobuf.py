"""The protobuf messages of the v0 and v2 framings, to and from neutral messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from google.protobuf.message import DecodeError, EncodeError
from google.protobuf.message import Message as ProtoMessage

from kismet_tx.capture.external import datasource_pb2 as ds
from kismet_tx.capture.external import kismet_pb2 as kp
from kismet_tx.capture.external.frames import Message, ProtocolError

#: Command names of v0/v2 by neutral kind (the first is what we send).
NAMES = {
    "PING": ("PING",), "PONG": ("PONG",), "SHUTDOWN": ("SHUTDOWN",),
    "MESSAGE": ("MESSAGE",), "ERROR": ("KDSERRORREPORT", "KDSERROR"),
    "NEWSOURCE": ("KDSNEWSOURCE",), "OPENREQ": ("KDSOPENSOURCE",),
    "OPENREPORT": ("KDSOPENSOURCEREPORT",), "CONFIGREQ": ("KDSCONFIGURE",),
    "CONFIGREPORT": ("KDSCONFIGUREREPORT",), "PACKET": ("KDSDATAREPORT",),
    "WARNING": ("KDSWARNINGREPORT",), "PROBEREQ": ("KDSPROBESOURCE",),
    "LISTREQ": ("KDSLISTINTERFACES",), "REGISTER": ("REGISTER",),
}
KINDS = {name: kind for kind, names in NAMES.items() for name in names}

_M = TypeVar("_M", bound=ProtoMessage)
#: Reports that carry a SubSuccess and a MsgbusMessage.
_Report = ds.OpenSourceReport | ds.ConfigureReport | ds.ErrorReport


def command(name: str, seqno: int, payload: bytes) -> bytes:
    """The v0 ``Command`` wrapper."""
    return kp.Command(command=name, seqno=seqno & 0xFFFFFFFF, content=payload).SerializeToString()


def uncommand(payload: bytes) -> tuple[str, int, bytes]:
    """Name, sequence number and inner payload of a v0 ``Command``."""
    cmd = kp.Command()
    try:
        cmd.ParseFromString(payload)
    except DecodeError as exc:
        raise ProtocolError(f"v0 frame is not a protobuf Command: {exc}") from None
    return cmd.command, cmd.seqno, cmd.content


def _hop_from(hop: ds.SubChanhop) -> dict[str, Any]:
    return {"channels": list(hop.channels), "rate": hop.rate, "shuffle": hop.shuffle,
            "skip": hop.shuffle_skip, "offset": hop.offset}


def _hop_into(hop: ds.SubChanhop, body: dict[str, Any]) -> None:
    hop.channels.extend(body.get("channels") or [])
    if body.get("rate") is not None:
        hop.rate = float(body["rate"])
    if body.get("shuffle") is not None:
        hop.shuffle = bool(body["shuffle"])
    if body.get("skip") is not None:
        hop.shuffle_skip = int(body["skip"])
    if body.get("offset") is not None:
        hop.offset = int(body["offset"])


def _result(report: _Report) -> tuple[int, int, str]:
    """(seqno, code, message text) of a report's SubSuccess/MsgbusMessage."""
    msg = report.message.msgtext if report.HasField("message") else ""
    return report.success.seqno, 0 if report.success.success else 1, msg


def _dec_packet(pb: ds.DataReport) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if pb.HasField("packet"):
        p = pb.packet
        body["packet"] = {"dlt": p.dlt, "ts_s": p.time_sec, "ts_us": p.time_usec,
                          "length": p.size, "content": p.data}
    if pb.HasField("signal"):
        s = pb.signal
        body["signal"] = {k: getattr(s, k) for k in
                          ("signal_dbm", "noise_dbm", "freq_khz", "channel") if s.HasField(k)}
    if pb.HasField("gps"):
        g = pb.gps
        body["gps"] = {"lat": g.lat, "lon": g.lon, "alt": g.alt, "fix": g.fix,
                       "ts_s": g.time_sec, "name": g.name, "type": g.type}
    if pb.HasField("message"):
        body["msg"] = pb.message.msgtext
    if pb.HasField("warning"):
        body["warning"] = pb.warning
    return body


def decode(name: str, seqno: int, payload: bytes) -> Message:
    """A neutral message from a v0/v2 command name and its protobuf."""
    kind = KINDS.get(name)
    if kind is None:
        raise ProtocolError(f"unknown command {name!r}")
    try:
        return _DECODERS[kind](seqno, payload)
    except DecodeError as exc:
        raise ProtocolError(f"{name} is not a valid protobuf message: {exc}") from None


def _parsed(cls: type[_M], payload: bytes) -> _M:
    message = cls()
    message.ParseFromString(payload)
    return message


def _d_open_report(seqno: int, payload: bytes) -> Message:
    r = _parsed(ds.OpenSourceReport, payload)
    report_seqno, code, msg = _result(r)
    body: dict[str, Any] = {"seqno": report_seqno, "msg": msg, "dlt": r.dlt,
                            "capif": r.capture_interface, "hardware": r.hardware,
                            "uuid": r.uuid, "channels": list(r.channels.channels)}
    if r.HasField("channel"):
        body["channel"] = r.channel.channel
    if r.HasField("hop_config"):
        body["hop"] = _hop_from(r.hop_config)
    if r.HasField("warning"):
        body["warning"] = r.warning
    return Message("OPENREPORT", body, seqno, code)


def _tuning_from(r: ds.Configure | ds.ConfigureReport, body: dict[str, Any]) -> dict[str, Any]:
    """The channel / hopping of a Configure or ConfigureReport into ``body``."""
    if r.HasField("channel"):
        body["channel"] = r.channel.channel
    if r.HasField("hopping"):
        body["hop"] = _hop_from(r.hopping)
    return body


def _d_config_report(seqno: int, payload: bytes) -> Message:
    r = _parsed(ds.ConfigureReport, payload)
    report_seqno, code, msg = _result(r)
    return Message("CONFIGREPORT", _tuning_from(r, {"seqno": report_seqno, "msg": msg}),
                   seqno, code)


def _d_config(seqno: int, payload: bytes) -> Message:
    return Message("CONFIGREQ", _tuning_from(_parsed(ds.Configure, payload), {}), seqno)


def _d_error(seqno: int, payload: bytes) -> Message:
    r = _parsed(ds.ErrorReport, payload)
    report_seqno, _, msg = _result(r)
    return Message("ERROR", {"text": msg, "seqno": report_seqno}, seqno, 1)


_DECODERS: dict[str, Callable[[int, bytes], Message]] = {
    "PING": lambda seqno, p: Message("PING", {}, seqno),
    "PONG": lambda seqno, p: Message("PONG", {"ping_seqno": _parsed(kp.Pong, p).ping_seqno},
                                     seqno),
    "SHUTDOWN": lambda seqno, p: Message(
        "SHUTDOWN", {"reason": _parsed(kp.ExternalShutdown, p).reason}, seqno),
    "MESSAGE": lambda seqno, p: Message(
        "MESSAGE", {"type": (m := _parsed(kp.MsgbusMessage, p)).msgtype, "text": m.msgtext},
        seqno),
    "ERROR": _d_error,
    "NEWSOURCE": lambda seqno, p: Message(
        "NEWSOURCE", {"definition": (n := _parsed(ds.NewSource, p)).definition,
                      "sourcetype": n.sourcetype, "uuid": n.uuid}, seqno),
    "OPENREQ": lambda seqno, p: Message(
        "OPENREQ", {"definition": _parsed(ds.OpenSource, p).definition}, seqno),
    "OPENREPORT": _d_open_report,
    "CONFIGREQ": _d_config,
    "CONFIGREPORT": _d_config_report,
    "PACKET": lambda seqno, p: Message("PACKET", _dec_packet(_parsed(ds.DataReport, p)), seqno),
    "WARNING": lambda seqno, p: Message(
        "WARNING", {"warning": _parsed(ds.WarningReport, p).warning}, seqno),
    "PROBEREQ": lambda seqno, p: Message(
        "PROBEREQ", {"definition": _parsed(ds.ProbeSource, p).definition}, seqno),
    "LISTREQ": lambda seqno, p: Message("LISTREQ", {}, seqno),
    "REGISTER": lambda seqno, p: Message(
        "REGISTER", {"subsystem": _parsed(kp.SystemRegister, p).subsystem}, seqno),
}


def _success(report: _Report, message: Message) -> None:
    report.success.success = message.code == 0
    report.success.seqno = int(message.body.get("seqno", 0))
    text = message.body.get("msg") or message.body.get("text")
    if text:
        report.message.msgtext = text
        report.message.msgtype = kp.MsgbusMessage.INFO if message.code == 0 else \
            kp.MsgbusMessage.ERROR


def _e_packet(message: Message) -> ds.DataReport:
    r = ds.DataReport()
    packet = message.body.get("packet")
    if packet is not None:
        r.packet.time_sec = int(packet["ts_s"])
        r.packet.time_usec = int(packet["ts_us"])
        r.packet.dlt = int(packet["dlt"])
        r.packet.size = int(packet.get("length", len(packet["content"])))
        r.packet.data = packet["content"]
    gps = message.body.get("gps")
    if gps is not None:
        for key in ("lat", "lon", "alt"):
            setattr(r.gps, key, float(gps.get(key, 0.0)))
        r.gps.speed = r.gps.heading = r.gps.precision = 0.0
        r.gps.fix = int(gps.get("fix", 3))
        r.gps.time_sec = int(gps.get("ts_s", 0))
        r.gps.time_usec = 0
        r.gps.type = str(gps.get("type", "fixed"))
        r.gps.name = str(gps.get("name", "fixed"))
    return r


def _e_open_report(message: Message) -> ds.OpenSourceReport:
    body = message.body
    r = ds.OpenSourceReport(dlt=int(body.get("dlt", 0)))
    _success(r, message)
    for key, attr in (("capif", "capture_interface"), ("hardware", "hardware"),
                      ("uuid", "uuid")):
        if body.get(key):
            setattr(r, attr, body[key])
    r.channels.channels.extend(body.get("channels") or [])
    if body.get("channel"):
        r.channel.channel = body["channel"]
    if body.get("hop"):
        _hop_into(r.hop_config, body["hop"])
    return r


_Tuning = TypeVar("_Tuning", ds.Configure, ds.ConfigureReport)


def _tuning_into(r: _Tuning, message: Message) -> _Tuning:
    """A message's channel / hopping into a Configure or ConfigureReport."""
    if message.body.get("channel"):
        r.channel.channel = message.body["channel"]
    if message.body.get("hop"):
        _hop_into(r.hopping, message.body["hop"])
    return r


def _e_config_report(message: Message) -> ds.ConfigureReport:
    r = ds.ConfigureReport()
    _success(r, message)
    return _tuning_into(r, message)


def _e_config(message: Message) -> ds.Configure:
    return _tuning_into(ds.Configure(), message)


def _e_error(message: Message) -> ds.ErrorReport:
    r = ds.ErrorReport()
    _success(r, Message("ERROR", message.body, message.seqno, 1))
    return r


_ENCODERS: dict[str, Callable[[Message], ProtoMessage]] = {
    "PING": lambda m: kp.Ping(),
    "PONG": lambda m: kp.Pong(ping_seqno=int(m.body.get("ping_seqno", m.seqno))),
    "SHUTDOWN": lambda m: kp.ExternalShutdown(reason=str(m.body.get("reason", ""))),
    # protobuf's stubs type an enum field by its wrapper class; any int is accepted.
    "MESSAGE": lambda m: kp.MsgbusMessage(msgtype=cast(kp.MsgbusMessage.MessageType,
                                                       int(m.body.get("type", 2))),
                                          msgtext=str(m.body.get("text", ""))),
    "ERROR": _e_error,
    "NEWSOURCE": lambda m: ds.NewSource(definition=m.body["definition"],
                                        sourcetype=m.body["sourcetype"], uuid=m.body["uuid"]),
    "OPENREQ": lambda m: ds.OpenSource(definition=m.body["definition"]),
    "OPENREPORT": _e_open_report,
    "CONFIGREQ": _e_config,
    "CONFIGREPORT": _e_config_report,
    "PACKET": _e_packet,
    "WARNING": lambda m: ds.WarningReport(warning=str(m.body.get("warning", ""))),
}


def encode(message: Message) -> tuple[str, bytes]:
    """The v0/v2 command name and protobuf payload of a neutral message."""
    encoder = _ENCODERS.get(message.kind)
    if encoder is None:
        raise ValueError(f"v0/v2 cannot carry a {message.kind} message")
    try:
        return NAMES[message.kind][0], encoder(message).SerializeToString()
    except EncodeError as exc:
        raise ValueError(f"{message.kind}: {exc}") from None
