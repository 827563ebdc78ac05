"""Serializer throughput: 100,000 device-like records as json/ekjson/msgpack, vs stdlib json."""

from __future__ import annotations

import json

from bench.report import best_of, rate, row
from kismet_tx.http.serialize import Serializer

RECORDS = 100_000


def _records() -> list[dict[str, object]]:
    return [
        {
            "kismet.device.base.key": f"4202770D00000000_{i:012X}",
            "kismet.device.base.macaddr": f"02:00:00:{i >> 16 & 255:02X}:{i >> 8 & 255:02X}:"
                                          f"{i & 255:02X}",
            "kismet.device.base.channel": str(i % 11 + 1),
            "kismet.device.base.packets.total": i,
            "kismet.device.base.signal": {"kismet.common.signal.last_signal": -40 - i % 50},
        }
        for i in range(RECORDS)
    ]


def run() -> None:
    records = _records()
    serializer = Serializer()
    stdlib = best_of(3, lambda: json.dumps(records).encode())
    for fmt in ("json", "itjson", "ekjson", "msgpack"):
        took = best_of(3, lambda fmt=fmt: b"".join(serializer.encode_list(iter(records), fmt)))
        row(f"encode_list {fmt} ({RECORDS:,} records)", rate(RECORDS, took),
            "stdlib json.dumps (whole list)", rate(RECORDS, stdlib))
