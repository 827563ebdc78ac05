"""Packets from real captures, loaded once per session."""

from __future__ import annotations

import pytest

from kismet_tx.streams.packet import Packet
from tests.streams.helpers import INDUCTION, N02, PRISM, load_packets

#: Two fake datasources with different link types.
RADIOTAP_UUID = "5fe308bd-0000-0000-0000-000000000001"
PRISM_UUID = "5fe308bd-0000-0000-0000-000000000002"


@pytest.fixture(scope="session")
def induction() -> list[Packet]:
    """john-samples_wpa-Induction.pcapng (radiotap, DLT 127) as source ``wlan0mon``."""
    return load_packets(INDUCTION, RADIOTAP_UUID, "wlan0mon")


@pytest.fixture(scope="session")
def prism() -> list[Packet]:
    """aircrack-ng_wpa-prism.cap (prism, DLT 119) as source ``prism-source``."""
    return load_packets(PRISM, PRISM_UUID, "prism-source")


@pytest.fixture(scope="session")
def n02() -> list[Packet]:
    """aircrack-ng_n-02.cap (raw 802.11, DLT 105)."""
    return load_packets(N02, "n02-uuid", "n02")
