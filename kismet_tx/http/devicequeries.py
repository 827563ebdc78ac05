"""Device lookups and listings the device and phy areas share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from kismet_tx.http.commands import Command
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, NotFound
from kismet_tx.http.fieldspec import FieldSpec, RegexFilter
from kismet_tx.http.results import Listing
from kismet_tx.http.rowcache import CachedRows
from kismet_tx.keys import parse_key
from kismet_tx.slicing import sliced_filter
from kismet_tx.tracker import Tracking
from kismet_tx.tracker.device import Device
from kismet_tx.tracker.records import DeviceRecord


class DeviceQueries:
    """What the device and phy areas share: lookups, simplification, listings."""

    def __init__(self, tracking: Tracking) -> None:
        self.devices = tracking.device_tracker
        self.record = tracking.record

    def device_by_key(self, key: str) -> Device:
        """The device with this key; 400 if the key is malformed, 404 if unknown."""
        if parse_key(key) is None:
            raise BadRequest(f"invalid device key {key!r}")
        device = self.devices.get(key)
        if device is None:
            raise NotFound(key, f"No device with key {key}")
        return device

    def rows(self, devices: Iterable[Device], cmd: Command, *,
             regex: bool = True) -> Iterable[Any]:
        """Lazy records of ``devices``, filtered by ``regex`` and simplified by ``fields``."""
        spec = cmd.fields()
        match = cmd.regex() if regex else None
        return self.simplify(devices, spec, match)

    def matching(self, ctx: HttpContext, devices: Iterable[Device],
                 match: RegexFilter) -> Any:
        """A Deferred list of the ``devices`` whose records ``match`` keeps.

        The regex runs in slices of time on the cooperator (a pattern may cost
        up to PCRE2's match limit per value, over every device), and stops if
        the client goes away.
        """
        record = self.record
        return ctx.run_steps(
            sliced_filter(list(devices), lambda d: match.matches(record(d)), ctx.slicer()))

    def listing(self, ctx: HttpContext, devices: Iterable[Device], cmd: Command) -> Any:
        """A :class:`Listing` of ``devices`` filtered by ``regex`` (sliced, so a
        Deferred one then) and simplified by ``fields``."""
        spec = cmd.fields()
        match = cmd.regex()
        if match is None:
            return Listing(self.simplify(devices, spec))
        return self.matching(ctx, devices, match).addCallback(
            lambda kept: Listing(self.simplify(kept, spec)))

    def simplify(self, devices: Iterable[Device], spec: FieldSpec | None,
                 match: RegexFilter | None = None) -> Iterable[Any]:
        """Records of ``devices`` (a snapshot is taken), filtered then simplified.

        Simplified to fields that change only with a device's version, the rows
        are :class:`CachedRows`: the serializer encodes each device's row
        once per change, however many clients ask for it.
        """
        if match is None and spec is not None and not spec.is_identity \
                and spec.roots <= DeviceRecord.VERSIONED:
            kind = ("device", spec.entries)
            # Top-level fields are read from the device itself, with the tracker
            # as the record's context (as ``record_of`` makes it).
            maker = spec.row_maker(DeviceRecord, self.devices)
            if maker is not None:
                return CachedRows(list(devices), kind, maker)
            record, apply = self.record, spec.apply

            def make(device: Device) -> Mapping[str, Any]:
                return apply(record(device))

            return CachedRows(list(devices), kind, make)
        records: Iterator[DeviceRecord] = map(self.record, list(devices))
        if match is not None:
            records = match.filter(records)
        if spec is None:
            return map(DeviceRecord.to_dict, records)
        return spec.apply_many(records)

    def one(self, device: Device, cmd: Command) -> Mapping[str, Any]:
        """One device record simplified by ``fields``."""
        spec = cmd.fields()
        record = self.record(device)
        return record.to_dict() if spec is None else spec.apply(record)
