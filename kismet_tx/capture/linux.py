"""The real capture system: pcapy-ng handles, pyroute2 links and nl80211.

``LinuxCaptureSystem(netns="name")`` opens interfaces inside a named network
namespace: the pcap socket is created there (the thread enters the namespace
for the ``open`` call only) and keeps working after the thread returns, so a
reactor in the host namespace can read it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pcapy
from pyroute2 import IPRoute
from pyroute2.netlink import NLM_F_ACK, NLM_F_REQUEST
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.nl80211 import IFTYPE_NAMES, NL80211_NAMES, nl80211cmd

from kismet_tx.capture.system import (
    CaptureError,
    CaptureFileInfo,
    CaptureHandle,
    FrameBatch,
    InterfaceInfo,
    InterfaceNotFound,
    NotSupported,
    WirelessInfo,
)

_CLONE_NEWNET = 0x40000000
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_SYSFS_NET = Path("/sys/class/net")
_IFTYPE_BY_NUMBER = {number: name for name, number in IFTYPE_NAMES.items()}
#: nl80211 interface type names as Kismet and ``iw`` print them.
_IFTYPE_WORDS = {"station": "managed", "adhoc": "ibss"}
_CHAN_WIDTH = {"": 0, "W5": 6, "W10": 7, "HT20": 1, "HT40+": 2, "HT40-": 2, "VHT80": 3, "VHT160": 5}
_VHT80_CENTRES = (5210, 5290, 5530, 5610, 5690, 5775, 5855)
_VHT160_CENTRES = (5250, 5570, 5815)


class PcapyHandle:
    """A :class:`CaptureHandle` over one pcapy-ng reader."""

    def __init__(self, reader: Any, name: str) -> None:
        self._reader = reader
        self._name = name
        self._closed = False

    def _live(self) -> Any:
        if self._closed:
            raise CaptureError(f"{self._name}: handle is closed")
        return self._reader

    def datalink(self) -> int:
        return int(self._live().datalink())

    def next_batch(self, max_frames: int) -> FrameBatch:
        try:
            buffer, meta = self._live().next_batch(max_frames)
        except pcapy.PcapError as exc:
            raise CaptureError(f"{self._name}: {exc}") from None
        return buffer, meta

    def next(self) -> tuple[float, bytes] | None:
        try:
            header, data = self._live().next()
        except pcapy.PcapError as exc:
            raise CaptureError(f"{self._name}: {exc}") from None
        if header is None:
            return None
        sec, usec = header.getts()
        return sec + usec / 1_000_000, data

    def setnonblock(self, enabled: bool) -> None:
        try:
            self._live().setnonblock(1 if enabled else 0)
        except pcapy.PcapError as exc:
            raise CaptureError(f"{self._name}: {exc}") from None

    def getfd(self) -> int:
        return int(self._live().getfd())

    def sendpacket(self, data: bytes) -> None:
        try:
            self._live().sendpacket(data)
        except pcapy.PcapError as exc:
            raise CaptureError(f"{self._name}: {exc}") from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._reader.close()


def _libc() -> Any:
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


@contextmanager
def _inside_netns(name: str | None) -> Iterator[None]:
    """Run the body with this thread in network namespace ``name`` (None: stay)."""
    if name is None:
        yield
        return
    libc = _libc()
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        try:
            target = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
        except OSError as exc:
            raise CaptureError(f"network namespace {name!r}: {exc.strerror}") from None
        try:
            if libc.setns(target, _CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise CaptureError(f"cannot enter network namespace {name!r}: {os.strerror(err)}")
        finally:
            os.close(target)
        try:
            yield
        finally:
            if libc.setns(home, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "cannot return to the host network namespace")
    finally:
        os.close(home)


def _vht_centre(freq: int, centres: tuple[int, ...], half_span: int) -> int:
    for centre in centres:
        if centre - half_span <= freq <= centre + half_span:
            return centre
    raise CaptureError(f"{freq} MHz is in no VHT channel block")


def channel_attrs(freq_mhz: int, mode: str) -> list[list[Any]]:
    """nl80211 attributes tuning to ``freq_mhz`` with width ``mode``."""
    if mode not in _CHAN_WIDTH:
        raise CaptureError(f"unknown channel mode {mode!r}")
    if mode == "HT40+":
        centre = freq_mhz + 10
    elif mode == "HT40-":
        centre = freq_mhz - 10
    elif mode == "VHT80":
        centre = _vht_centre(freq_mhz, _VHT80_CENTRES, 30)
    elif mode == "VHT160":
        centre = _vht_centre(freq_mhz, _VHT160_CENTRES, 70)
    else:
        centre = freq_mhz
    return [
        ["NL80211_ATTR_WIPHY_FREQ", freq_mhz],
        ["NL80211_ATTR_CHANNEL_WIDTH", _CHAN_WIDTH[mode]],
        ["NL80211_ATTR_CENTER_FREQ1", centre],
    ]


class LinuxCaptureSystem:
    """pcapy-ng for frames, pyroute2 rtnetlink for links, nl80211 for radios."""

    def __init__(self, netns: str | None = None, sysfs_net: Path = _SYSFS_NET) -> None:
        self.netns = netns
        self._sysfs = sysfs_net

    # -- pcap ---------------------------------------------------------------

    def file_info(self, path: str) -> CaptureFileInfo:
        try:
            with open(path, "rb") as handle:
                magic = handle.read(4)
                size = os.fstat(handle.fileno()).st_size
        except OSError as exc:
            raise CaptureError(f"{path}: {exc.strerror or exc}") from None
        return CaptureFileInfo(size, "pcapng" if magic == _PCAPNG_MAGIC else "pcap")

    def open_offline(self, path: str) -> CaptureHandle:
        try:
            reader = pcapy.open_offline(path)
        except pcapy.PcapError as exc:
            raise CaptureError(f"{path}: {exc}") from None
        return PcapyHandle(reader, path)

    def open_live(
        self,
        interface: str,
        *,
        snaplen: int = 65535,
        promisc: bool = True,
        timeout_ms: int = 50,
        rfmon: bool = False,
    ) -> CaptureHandle:
        with _inside_netns(self.netns):
            if self._index(interface) is None:
                raise InterfaceNotFound(f"no interface {interface!r}")
            try:
                if rfmon:
                    reader = pcapy.create(interface)
                    reader.set_snaplen(snaplen)
                    reader.set_promisc(1 if promisc else 0)
                    reader.set_timeout(timeout_ms)
                    reader.set_rfmon(1)
                    reader.activate()
                else:
                    reader = pcapy.open_live(interface, snaplen, 1 if promisc else 0, timeout_ms)
            except pcapy.PcapError as exc:
                raise CaptureError(f"{interface}: {exc}") from None
        return PcapyHandle(reader, interface)

    # -- links ----------------------------------------------------------------

    @contextmanager
    def _ipr(self) -> Iterator[IPRoute]:
        """An rtnetlink socket bound to this system's namespace."""
        with _inside_netns(self.netns):
            ipr = IPRoute()
        try:
            yield ipr
        finally:
            ipr.close()

    def _index(self, interface: str) -> int | None:
        try:
            with self._ipr() as ipr:
                found = ipr.link_lookup(ifname=interface)
        except (NetlinkError, OSError) as exc:
            raise CaptureError(f"cannot look up {interface}: {exc}") from None
        return found[0] if found else None

    def _nl80211_interfaces(self) -> dict[str, list[Any]]:
        """``{ifname: [ifindex, phy, mac, freq, width]}``; empty without nl80211."""
        try:
            with _inside_netns(self.netns), _iw() as iw:
                return dict(iw.get_interfaces_dict())
        except (NetlinkError, OSError, NotSupported):
            return {}

    def _sysfs_wireless(self, name: str) -> bool:
        if self.netns is not None:
            return False
        base = self._sysfs / name
        return (base / "wireless").exists() or (base / "phy80211").exists()

    def _driver(self, name: str) -> str:
        if self.netns is not None:
            return ""
        try:
            return os.path.basename(os.readlink(self._sysfs / name / "device" / "driver"))
        except OSError:
            return ""

    def interfaces(self) -> list[InterfaceInfo]:
        wireless = self._nl80211_interfaces()
        found: list[InterfaceInfo] = []
        try:
            with self._ipr() as ipr:
                links = list(ipr.get_links())
        except (NetlinkError, OSError) as exc:
            raise CaptureError(f"cannot list network interfaces: {exc}") from None
        for link in links:
            name = link.get_attr("IFLA_IFNAME")
            found.append(
                InterfaceInfo(
                    name=name,
                    index=int(link["index"]),
                    mac=(link.get_attr("IFLA_ADDRESS") or "").upper(),
                    up=bool(link["flags"] & 1),
                    wireless=name in wireless or self._sysfs_wireless(name),
                    driver=self._driver(name),
                )
            )
        return found

    # -- nl80211 --------------------------------------------------------------

    def wireless_info(self, interface: str) -> WirelessInfo | None:
        entry = self._nl80211_interfaces().get(interface)
        if entry is None:
            return None
        try:
            iftype, frequencies, iftypes = self._radio_facts(entry[0], entry[1])
        except NetlinkError as exc:
            raise CaptureError(f"nl80211 query for {interface} failed: {exc}") from None
        return WirelessInfo(
            interface,
            entry[1],
            iftype,
            tuple(dict.fromkeys(frequencies)),
            hardware=self._driver(interface),
            iftypes=iftypes or ("managed", "monitor"),
        )

    def _radio_facts(self, ifindex: int, phy: str) -> tuple[str, list[int], tuple[str, ...]]:
        """Interface type, enabled frequencies and creatable interface types."""
        with _inside_netns(self.netns), _iw() as iw:
            iftype = "unknown"
            for reply in iw.get_interface_by_ifindex(ifindex):
                number = reply.get_attr("NL80211_ATTR_IFTYPE")
                iftype = _IFTYPE_WORDS.get(
                    _IFTYPE_BY_NUMBER.get(number, ""), _IFTYPE_BY_NUMBER.get(number, "unknown")
                )
            frequencies: list[int] = []
            iftypes: tuple[str, ...] = ()
            for wiphy in iw.list_wiphy():
                if f"phy{wiphy.get_attr('NL80211_ATTR_WIPHY')}" != phy:
                    continue
                frequencies.extend(_wiphy_frequencies(wiphy))
                supported = wiphy.get_attr("NL80211_ATTR_SUPPORTED_IFTYPES")
                if supported:
                    iftypes = tuple(
                        _IFTYPE_WORDS.get(_IFTYPE_BY_NUMBER.get(n, ""), str(n)) for n in supported
                    )
        return iftype, frequencies, iftypes

    def create_monitor_vif(self, interface: str, vif_name: str) -> str:
        entry = self._nl80211_interfaces().get(interface)
        if entry is None:
            raise NotSupported(f"{interface} is not an nl80211 wireless interface")
        try:
            with _inside_netns(self.netns), _iw() as iw:
                iw.add_interface(vif_name, IFTYPE_NAMES["monitor"], dev=entry[0])
            with self._ipr() as ipr:
                index = ipr.link_lookup(ifname=vif_name)
                if not index:
                    raise CaptureError(f"monitor interface {vif_name} did not appear")
                ipr.link("set", index=index[0], state="up")
        except NetlinkError as exc:
            raise CaptureError(
                f"cannot create monitor interface {vif_name} on {interface}: {exc}"
            ) from None
        return vif_name

    def set_channel(self, interface: str, freq_mhz: int, mode: str = "") -> None:
        index = self._index(interface)
        if index is None:
            raise InterfaceNotFound(f"no interface {interface!r}")
        msg = nl80211cmd()
        msg["cmd"] = NL80211_NAMES["NL80211_CMD_SET_CHANNEL"]
        msg["attrs"] = [["NL80211_ATTR_IFINDEX", index], *channel_attrs(freq_mhz, mode)]
        try:
            with _inside_netns(self.netns), _iw() as iw:
                list(iw.nlm_request(msg, msg_type=iw.prid, msg_flags=NLM_F_REQUEST | NLM_F_ACK))
        except NetlinkError as exc:
            raise CaptureError(f"cannot tune {interface} to {freq_mhz} MHz {mode}: {exc}") from None


@contextmanager
def _iw() -> Iterator[Any]:
    """An nl80211 socket; :class:`NotSupported` when the kernel has no nl80211."""
    from pyroute2 import IW

    try:
        iw = IW()
    except NetlinkError as exc:
        raise NotSupported(f"nl80211 is not available: {exc}") from None
    try:
        yield iw
    finally:
        iw.close()


def _wiphy_frequencies(wiphy: Any) -> Iterator[int]:
    """Enabled centre frequencies of one ``NL80211_CMD_GET_WIPHY`` reply."""
    bands = wiphy.get_attr("NL80211_ATTR_WIPHY_BANDS") or []
    for band in bands:
        freqs = band.get_attr("NL80211_BAND_ATTR_FREQS") or []
        for entry in freqs:
            freq = entry.get_attr("NL80211_FREQUENCY_ATTR_FREQ")
            if freq and not entry.get_attr("NL80211_FREQUENCY_ATTR_DISABLED"):
                yield int(freq)
