"""Manufacturer lookup from the IEEE registries (via Wireshark's ``manuf`` file).

``kismet_tx/data/manuf.gz`` is built by ``tools/make_manuf.py`` from Wireshark's
``manuf`` (MA-L /24, MA-M /28 and MA-S /36 blocks). It is loaded once; lookups
try the longest prefix first. Locally administered MACs (randomized by most
phones when probing) have no manufacturer and say so.
"""

from __future__ import annotations

import gzip
import sys
from importlib import resources
from pathlib import Path
from typing import Final

UNKNOWN: Final = "Unknown"
LOCALLY_ADMINISTERED: Final = "Randomized (locally administered)"


class ManufDb:
    """Prefix tables keyed by prefix length in bits, longest first."""

    __slots__ = ("_tables",)

    def __init__(self, entries: dict[int, dict[int, str]]) -> None:
        self._tables = sorted(entries.items(), key=lambda item: -item[0])

    @classmethod
    def from_text(cls, text: str) -> ManufDb:
        """Parse ``PREFIX[/BITS]<TAB>NAME`` lines."""
        tables: dict[int, dict[int, str]] = {}
        names: dict[str, str] = {}
        for line in text.splitlines():
            prefix, sep, name = line.partition("\t")
            if not sep or not name:
                continue
            address, _, bits_text = prefix.partition("/")
            try:
                raw = bytes.fromhex(address.replace(":", "").replace("-", "").replace(".", ""))
                bits = int(bits_text) if bits_text else len(raw) * 8
            except ValueError:
                continue
            if not raw or not 0 < bits <= 48 or len(raw) > 6:
                continue
            value = int.from_bytes(raw.ljust(6, b"\0"), "big") >> (48 - bits)
            interned = names.setdefault(name, sys.intern(name.strip()))
            tables.setdefault(bits, {})[value] = interned
        return cls(tables)

    @classmethod
    def load(cls, path: Path | None = None) -> ManufDb:
        """Load the bundled table (or ``path``, a gzip file)."""
        if path is None:
            data = resources.files("kismet_tx").joinpath("data/manuf.gz").read_bytes()
        else:
            data = path.read_bytes()
        return cls.from_text(gzip.decompress(data).decode("utf-8"))

    def __len__(self) -> int:
        return sum(len(table) for _, table in self._tables)

    def lookup(self, mac: bytes) -> str:
        """Manufacturer of a 6-byte MAC."""
        if len(mac) != 6:
            return UNKNOWN
        if mac[0] & 0x02:
            return LOCALLY_ADMINISTERED
        value = int.from_bytes(mac, "big")
        for bits, table in self._tables:
            name = table.get(value >> (48 - bits))
            if name is not None:
                return name
        return UNKNOWN
