"""``kismet_tx-log``: devices and packets out of a kismetdb (``.kismet``) log.

``kismet_tx-log devices LOG [--format ekjson|json|csv] [--out FILE]``
    Every device of the log, as the REST API gives it: ``ekjson`` is one
    device per line with ``_`` for ``.`` in names (as
    ``/devices/all_devices.ekjson``), ``json`` one array, ``csv`` the
    ``devices`` table's columns plus the record's name, manufacturer,
    channel, encryption and packet count.

``kismet_tx-log pcap LOG --by device|bssid --out-dir DIR [--only MAC ...]``
    One pcapng per device (every packet a device's MAC sent, received or
    transmitted) or per BSSID (every packet of the BSS, from the frame's own
    802.11 header), named ``<MAC>.pcapng`` with ``-`` for ``:``. Each file has
    an interface per logged source and link type, named after the source.

Rows are read as they come (one pass, nothing held but small per-file
buffers), so a log of millions of packets is split without loading it.
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

import orjson

from kismet_tx.dot11 import decode_packet
from kismet_tx.dot11.errors import MalformedFrame
from kismet_tx.http.serialize import underscore_names
from kismet_tx.keys import MacError, parse_mac
from kismet_tx.kismetdb.schema import open_read_only
from kismet_tx.streams.packet import Packet as StreamPacket
from kismet_tx.streams.pcapng import PcapngEncoder

_B = "kismet.device.base."
CSV_COLUMNS = ("first_time", "last_time", "devkey", "phyname", "devmac", "strongest_signal",
               "min_lat", "min_lon", "max_lat", "max_lon", "avg_lat", "avg_lon",
               "bytes_data", "type")
RECORD_COLUMNS = (("name", _B + "commonname"), ("manuf", _B + "manuf"),
                  ("channel", _B + "channel"), ("crypt", _B + "crypt"),
                  ("packets", _B + "packets.total"))
#: Bytes buffered per output file before they are appended to it.
FLUSH_BYTES = 256 * 1024
_IGNORED = {"00:00:00:00:00:00", "FF:FF:FF:FF:FF:FF"}


class LogError(Exception):
    """The log cannot be read (missing, not a kismetdb log)."""


def connect(path: str) -> sqlite3.Connection:
    """A read-only connection to a kismetdb log."""
    try:
        return open_read_only(path)
    except ValueError as exc:
        raise LogError(str(exc)) from None


def device_records(db: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every device record of the log (the REST API's JSON), oldest first."""
    for (blob,) in db.execute("SELECT device FROM devices ORDER BY first_time, devkey"):
        yield orjson.loads(blob)


def write_devices(db: sqlite3.Connection, fmt: str, out: TextIO) -> int:
    """Write every device in ``fmt``; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS + tuple(name for name, _ in RECORD_COLUMNS))
        query = f"SELECT {', '.join(CSV_COLUMNS)}, device FROM devices ORDER BY first_time, devkey"
        for row in db.execute(query):
            record = orjson.loads(row[-1])
            writer.writerow(list(row[:-1]) + [record.get(key, "") for _, key in RECORD_COLUMNS])
            count += 1
        return count
    if fmt == "json":
        out.write("[")
        for record in device_records(db):
            out.write(("," if count else "") + orjson.dumps(record).decode())
            count += 1
        out.write("]\n")
        return count
    for record in device_records(db):
        out.write(orjson.dumps(underscore_names(record)).decode() + "\n")
        count += 1
    return count


class SplitWriter:
    """pcapng files by MAC, each with its own encoder, appended in buffered runs."""

    def __init__(self, directory: str, names: dict[str, str]) -> None:
        self.directory = directory
        self._names = names
        self._encoders: dict[str, PcapngEncoder] = {}
        self._buffers: dict[str, list[bytes]] = {}
        self._sizes: dict[str, int] = {}
        self.packets: dict[str, int] = {}

    def path(self, mac: str) -> str:
        """The file of ``mac``."""
        return os.path.join(self.directory, mac.replace(":", "-") + ".pcapng")

    def add(self, mac: str, uuid: str, dlt: int, ts: float, data: bytes) -> None:
        """Append one packet to ``mac``'s file."""
        encoder = self._encoders.get(mac)
        if encoder is None:
            encoder = self._encoders[mac] = PcapngEncoder()
            self._buffers[mac] = []
            self._sizes[mac] = 0
            self.packets[mac] = 0
            with open(self.path(mac), "wb"):
                pass
        block = encoder.encode(StreamPacket(uuid, self._names.get(uuid, uuid), dlt, ts, data,
                                            len(data)))
        assert block is not None
        self._buffers[mac].append(block)
        self._sizes[mac] += len(block)
        self.packets[mac] += 1
        if self._sizes[mac] >= FLUSH_BYTES:
            self._flush(mac)

    def _flush(self, mac: str) -> None:
        with open(self.path(mac), "ab") as handle:
            handle.write(b"".join(self._buffers[mac]))
        self._buffers[mac] = []
        self._sizes[mac] = 0

    def close(self) -> None:
        """Write what every file still holds."""
        for mac in self._buffers:
            self._flush(mac)


def split_packets(db: sqlite3.Connection, by: str, directory: str,
                  only: set[str] | None = None) -> dict[str, int]:
    """Write one pcapng per device or BSSID; returns packets written per MAC."""
    os.makedirs(directory, exist_ok=True)
    names = {str(u).upper(): str(n or u) for u, n in
             db.execute("SELECT uuid, name FROM datasources")}
    writer = SplitWriter(directory, names)
    devices = {mac for (mac,) in db.execute("SELECT devmac FROM devices")}
    if only:
        devices &= only
    rows = db.execute("SELECT ts_sec, ts_usec, datasource, dlt, packet, sourcemac, destmac, "
                      "transmac FROM packets WHERE dlt > 0 ORDER BY rowid")
    for sec, usec, uuid, dlt, data, source, dest, trans in rows:
        ts = sec + usec / 1e6
        uuid = str(uuid).upper()
        data = bytes(data)
        if by == "bssid":
            try:
                bssid = decode_packet(dlt, data).bssid
            except MalformedFrame:
                continue
            if bssid is None:
                continue
            mac = bssid.hex(":").upper()
            if mac in _IGNORED or (only and mac not in only):
                continue
            writer.add(mac, uuid, dlt, ts, data)
            continue
        for mac in {source, dest, trans}:
            if mac in devices:
                writer.add(mac, uuid, dlt, ts, data)
    writer.close()
    return writer.packets


def _macs(values: Sequence[str] | None) -> set[str] | None:
    if not values:
        return None
    return {parse_mac(v).hex(":").upper() for v in values}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kismet_tx-log``."""
    parser = argparse.ArgumentParser(
        prog="kismet_tx-log", description="Devices and packets out of a kismetdb log.")
    commands = parser.add_subparsers(dest="command", required=True)
    devices = commands.add_parser("devices", help="devices to ekjson, json or CSV")
    devices.add_argument("log")
    devices.add_argument("--format", choices=("ekjson", "json", "csv"), default="ekjson")
    devices.add_argument("--out", help="output file (default: standard output)")
    pcap = commands.add_parser("pcap", help="packets to one pcapng per device or BSSID")
    pcap.add_argument("log")
    pcap.add_argument("--by", choices=("device", "bssid"), default="device")
    pcap.add_argument("--out-dir", required=True)
    pcap.add_argument("--only", action="append", metavar="MAC",
                      help="only this device or BSSID (repeatable)")
    args = parser.parse_args(argv)
    try:
        db = connect(args.log)
        if args.command == "devices":
            out = open(args.out, "w", newline="") if args.out else sys.stdout  # noqa: SIM115
            try:
                count = write_devices(db, args.format, out)
            finally:
                if args.out:
                    out.close()
            print(f"{count} devices", file=sys.stderr)
            return 0
        written = split_packets(db, args.by, args.out_dir, _macs(args.only))
    except (LogError, MacError, OSError, sqlite3.Error) as exc:
        print(f"kismet_tx-log: {exc}", file=sys.stderr)
        return 1
    print(f"{sum(written.values())} packets in {len(written)} files under {args.out_dir}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
