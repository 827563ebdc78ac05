"""Kismet's external helper protocol (remote capture), all three framings.

Every frame starts with the signature ``0xDECAFBAD``. What follows tells the
framing apart (``kis_external_packet.h``):

* v0, the legacy frame PyPI's ``kismetexternal`` 2020.7 speaks: Kismet's
  Adler-32 variant of the payload, its length, then a protobuf ``Command``
  (name, sequence number, inner protobuf message);
* v2 (Kismet 2020-2024): sentinel ``0xABCD``, version 2, payload length, the
  command name in 32 bytes, the sequence number, then the inner protobuf;
* v3 (Kismet 2025 capture tools): sentinel ``0xA9A9``, version 3, payload length,
  a numeric packet type, a result code (0 = success), the sequence number, then a
  msgpack map keyed by field numbers.

Each framing is decoded into one neutral :class:`~kismet_tx.capture.external.frames.Message`
(kind, body dict, sequence number, result code), so the remote source and the
capture tool never see which framing the peer spoke. The protobuf modules are
generated from Kismet's ``protobuf_definitions`` (GPL-2.0-or-later, see their
headers).
"""
