"""What a stream needs to know about one captured packet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class StreamPacket(Protocol):
    """A captured link-layer frame, as the packet chain hands it to streams."""

    @property
    def source_uuid(self) -> str:
        """UUID of the datasource that captured the frame."""

    @property
    def source_name(self) -> str:
        """Name of that datasource (becomes the pcapng ``if_name``)."""

    @property
    def dlt(self) -> int:
        """Link type of ``data`` (127 radiotap, 105 802.11, 119 prism, 192 PPI, ...)."""

    @property
    def ts(self) -> float:
        """Capture time, seconds since the epoch."""

    @property
    def data(self) -> bytes:
        """The captured bytes."""

    @property
    def original_length(self) -> int:
        """Length of the frame on the air (at least ``len(data)``)."""


@dataclass(frozen=True, slots=True)
class Packet:
    """A plain :class:`StreamPacket`."""

    source_uuid: str
    source_name: str
    dlt: int
    ts: float
    data: bytes
    original_length: int
