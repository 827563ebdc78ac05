"""The datasource tracker: turns definitions into running sources and holds them.

Definitions use Kismet's syntax (``wlan0:name=foo,channels="1,6,11"``,
``/path/file.pcapng:realtime=true``) and come from ``-c``, ``source=`` lines
or ``add_source.cmd``. The driver is ``type=`` when given; otherwise a path (an
existing file, or anything with a ``/`` or a capture-file suffix) is a
``pcapfile`` (a ``.kismet`` name a ``kismetdb`` log replay) and anything else a
``linuxwifi`` interface.

UUIDs are deterministic, as Kismet's are, so a source keeps its UUID across
restarts: ``uuid=`` when given; otherwise ``<A>-0000-0000-0000-<B>``
with A the Adler-32 of the driver name and B the interface MAC (live sources)
or the Adler-32 of the file path or interface name. Two sources with the same
UUID are refused; give one a ``uuid=`` to run both.
"""

from __future__ import annotations

import os
import random
import time
import uuid as uuidlib
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from twisted.application.service import MultiService
from twisted.internet.interfaces import IReactorFDSet, IReactorTime

from kismet_tx.capture.datasource import Datasource, PacketSink
from kismet_tx.capture.kismetdb import SUFFIX as KISMETDB_SUFFIX
from kismet_tx.capture.kismetdb import KismetdbSource
from kismet_tx.capture.linuxwifi import LinuxWifiSource
from kismet_tx.capture.pcapfile import PROGRESS_INTERVAL, PcapFileSource
from kismet_tx.capture.sourcecommands import SourceOptions
from kismet_tx.capture.sourcerecord import SourceDefaults
from kismet_tx.capture.system import CaptureError, CaptureSystem
from kismet_tx.fields import FieldDef
from kismet_tx.messagebus import INFO, MessageBus
from kismet_tx.sourcedefinition import SourceDefinitionError, parse_source_definition

PROBED_FIELDS = (
    FieldDef("kismet.datasource.probed.interface", "string", "interface name"),
    FieldDef("kismet.datasource.probed.capture_interface", "string", "capture interface name"),
    FieldDef("kismet.datasource.probed.hardware", "string", "hardware / chipset"),
    FieldDef("kismet.datasource.probed.in_use_uuid", "uuid", "active source using this interface"),
    FieldDef("kismet.datasource.probed.options_vec", "vector[string]", "interface options"),
    FieldDef(
        "kismet.datasource.probed.wireless", "uint8", "the interface is a Wi-Fi radio (kismet_tx)"
    ),
)

_Source = TypeVar("_Source", bound=Datasource)

NO_UUID = "00000000-0000-0000-0000-000000000000"
_FILE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".dump")


class SourceOpenError(SourceDefinitionError):
    """The definition is sound but the source could not be opened (Kismet's 500)."""


class SourceConflict(ValueError):
    """The definition names a source that already exists (HTTP 409)."""


def _adler(text: str) -> int:
    return zlib.adler32(text.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF


class DatasourceTracker(MultiService):
    """Every datasource, keyed by UUID, plus the drivers that build them."""

    drivers: dict[str, type[Datasource]] = {
        "pcapfile": PcapFileSource,
        "linuxwifi": LinuxWifiSource,
        "kismetdb": KismetdbSource,
    }

    def __init__(
        self,
        *,
        clock: IReactorTime,
        reactor: IReactorFDSet,
        bus: MessageBus,
        sink: PacketSink,
        system: CaptureSystem,
        defaults: SourceDefaults | None = None,
        rng: random.Random | None = None,
        progress_interval: float = PROGRESS_INTERVAL,
        work_timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        MultiService.__init__(self)
        self.setName("datasources")
        self._clock = clock
        self._reactor = reactor
        self._bus = bus
        self._sink = sink
        self.system = system
        self.defaults = defaults or SourceDefaults()
        self._rng = rng if rng is not None else random.Random()
        self._progress_interval = progress_interval
        #: Times a replay's slices of work (PcapFileSource.REPLAY_SLICE).
        self._work_timer = work_timer
        self._by_uuid: dict[str, Datasource] = {}
        self._next_number = 0
        #: Called with (source, "new" | "opened" | "closed" | "error") for every source.
        self.state_listeners: list[Callable[[Datasource, str], None]] = []

    # -- queries ------------------------------------------------------------------

    def sources(self) -> list[Datasource]:
        """All sources, in the order they were added."""
        return sorted(self._by_uuid.values(), key=lambda s: s.number)

    def get(self, uuid: str) -> Datasource | None:
        """The source with this UUID (any case), or None."""
        return self._by_uuid.get(uuid.upper())

    def types(self) -> list[dict[str, Any]]:
        """``/datasource/types``: one driver record per type."""
        return [driver.driver.record() for driver in self.drivers.values()]

    def list_interfaces(self) -> list[dict[str, Any]]:
        """``/datasource/list_interfaces``: the wireless interfaces (nl80211 or sysfs says
        so), as Kismet's linuxwifi driver lists them; wired ones and loopback are not
        capture candidates."""
        in_use = {s.interface: s.uuid for s in self.sources() if s.driver.type == "linuxwifi"}
        in_use.update(
            {s.capture_interface: s.uuid for s in self.sources() if s.driver.type == "linuxwifi"}
        )
        driver = LinuxWifiSource.driver.record()
        found = []
        for info in self.system.interfaces():
            if info.name == "lo" or not info.wireless:
                continue
            found.append(
                {
                    "kismet.datasource.probed.interface": info.name,
                    "kismet.datasource.probed.capture_interface": info.name,
                    "kismet.datasource.probed.hardware": info.driver,
                    "kismet.datasource.probed.in_use_uuid": in_use.get(info.name, NO_UUID),
                    "kismet.datasource.probed.options_vec": [],
                    "kismet.datasource.probed.wireless": int(info.wireless),
                    "kismet.datasource.type_driver": driver,
                }
            )
        return found

    # -- building ---------------------------------------------------------------

    def _driver_for(self, interface: str, options: SourceOptions) -> str:
        kind = options.text("type")
        if kind is not None:
            if kind not in self.drivers:
                raise SourceDefinitionError(
                    f"unknown source type {kind!r}; known: {', '.join(sorted(self.drivers))}"
                )
            return kind
        if interface.endswith(KISMETDB_SUFFIX):
            return "kismetdb"
        if "/" in interface or interface.endswith(_FILE_SUFFIXES):
            return "pcapfile"
        try:
            self.system.file_info(os.path.abspath(interface))
        except CaptureError:
            return "linuxwifi"
        return "pcapfile"

    def _uuid_for(self, kind: str, interface: str, options: SourceOptions) -> str:
        given = options.text("uuid")
        if given is not None:
            try:
                return str(uuidlib.UUID(given)).upper()
            except ValueError:
                raise SourceDefinitionError(f"option uuid={given!r} is not a UUID") from None
        prefix = _adler(f"kismet_cap_{kind}")
        mac = None
        if kind == "linuxwifi":
            try:
                interfaces = self.system.interfaces()
            except CaptureError:
                interfaces = []
            for info in interfaces:
                if info.name == interface and info.mac.count(":") == 5:
                    mac = int(info.mac.replace(":", ""), 16)
        suffix = mac if mac else _adler(interface)
        return f"{prefix:08X}-0000-0000-0000-{suffix:012X}"

    def build(self, definition: str) -> Datasource:
        """A new, unstarted source for ``definition``.

        Raises :class:`SourceDefinitionError` (with the reason) for a bad
        definition and :class:`SourceConflict` for a UUID already in use.
        """
        if not isinstance(definition, str) or not definition.strip():
            raise SourceDefinitionError("empty source definition")
        if any(ord(ch) < 0x20 for ch in definition):
            raise SourceDefinitionError("source definition contains control characters")
        interface, raw_options = parse_source_definition(definition)
        options = SourceOptions(raw_options)
        kind = self._driver_for(interface, options)
        if kind == "pcapfile":
            interface = os.path.abspath(interface)
            try:
                self.system.file_info(interface)
            except CaptureError as exc:
                raise SourceDefinitionError(f"cannot read capture file: {exc}") from None
        elif kind == "kismetdb":
            interface = os.path.abspath(interface)
            if not os.path.isfile(interface):
                raise SourceDefinitionError(f"cannot read kismetdb log: {interface}: "
                                            "no such file")
        uuid = self._uuid_for(kind, interface, options)
        if uuid in self._by_uuid:
            raise SourceConflict(
                f"a source with UUID {uuid} already exists "
                f"({self._by_uuid[uuid].definition!r}); give this one a "
                "different uuid= option"
            )
        common: dict[str, Any] = dict(
            interface=interface,
            options=options,
            definition=definition.strip(),
            uuid=uuid,
            number=self._next_number,
            clock=self._clock,
            bus=self._bus,
            sink=self._sink,
            defaults=self.defaults,
            system=self.system,
        )
        source: Datasource
        if kind == "pcapfile":
            source = PcapFileSource(progress_interval=self._progress_interval,
                                    work_timer=self._work_timer, **common)
        elif kind == "kismetdb":
            source = KismetdbSource(**common)
        else:
            source = LinuxWifiSource(reactor=self._reactor, rng=self._rng, **common)
        unknown = options.unknown()
        if unknown:
            source.post(f"ignoring unknown options: {', '.join(unknown)}", INFO)
        return source

    def add(self, definition: str) -> Datasource:
        """Build a source and start it (when the tracker runs)."""
        source = self.build(definition)
        self._next_number += 1
        self._by_uuid[source.uuid] = source
        source.state_listeners.append(self._source_state)
        self._source_state(source, "new")
        source.setServiceParent(self)
        return source

    def _source_state(self, source: Datasource, state: str) -> None:
        for listener in list(self.state_listeners):
            listener(source, state)

    def add_from_command(self, definition: str) -> Datasource:
        """``add_source.cmd``: like :meth:`add`, but a source that cannot open is dropped.

        Raises :class:`SourceDefinitionError` with the reason it failed to open.
        """
        source = self.add(definition)
        if self.running and not source.capturing and source.error:
            reason = source.error_reason
            self.remove(source.uuid)
            raise SourceOpenError(f"could not open source: {reason}")
        return source

    @property
    def sink(self) -> PacketSink:
        """Where the sources hand their packets (the packet chain)."""
        return self._sink

    def adopt(self, build: Callable[[int], _Source]) -> _Source:
        """Add a source built elsewhere (remote capture); ``build`` gets its number."""
        source = build(self._next_number)
        self._hold(source)
        return source

    def _hold(self, source: Datasource) -> None:
        """Keep an adopted source under its UUID, as a child service."""
        if source.uuid in self._by_uuid:
            raise SourceConflict(f"a source with UUID {source.uuid} already exists")
        self._next_number += 1
        self._by_uuid[source.uuid] = source
        source.setServiceParent(self)

    def remove(self, uuid: str) -> None:
        """Stop and forget a source."""
        source = self._by_uuid.pop(uuid.upper(), None)
        if source is not None:
            source.disownServiceParent()
