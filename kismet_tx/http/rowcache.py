"""Encoded list rows kept while what they were made of has not changed.

A hundred clients polling ``/devices/last-time/-10/devices.json`` with the same
``fields`` every second ask for the same rows: the serializer encodes a device's
row once per change of the device, not once per client. A route hands the
serializer :class:`CachedRows` instead of plain rows: their owners (devices),
how to read an owner's version (bumped on every change) and what the rows are
made of (a field spec). A row's plain value is built only when its encoding is
not in the :class:`RowCache`. Iterated, :class:`CachedRows` gives the plain
rows, so any other consumer (a whole msgpack body, a datatables page) needs
nothing of the cache.

The cache is bounded in bytes, checked after each run of :data:`RUN` rows: past
its budget the least recently used kind of row (one field spec in one format)
is dropped whole.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from operator import attrgetter
from typing import Any

#: Bytes of encoded rows (plus bookkeeping) the cache may hold.
DEFAULT_BUDGET = 32 * 1024 * 1024
#: Bookkeeping bytes counted per cached row (dict slot, tuple, version int).
ROW_OVERHEAD = 120
#: Rows handed over at a time: the serializer joins a run in one call, and checks
#: its slice of time between runs (a run of rows that all miss is still short).
RUN = 16


class CachedRows:
    """The rows of ``owners``, all of one ``kind``, made by ``make(owner)``."""

    __slots__ = ("kind", "make", "owners", "version_of")

    def __init__(self, owners: list[Any], kind: Hashable, make: Callable[[Any], Any],
                 version_of: Callable[[Any], int] = attrgetter("version")) -> None:
        self.owners = owners
        self.kind = kind
        self.make = make
        self.version_of = version_of

    def __len__(self) -> int:
        return len(self.owners)

    def __iter__(self) -> Iterator[Any]:
        return map(self.make, self.owners)


class RowCache:
    """Encodings of :class:`CachedRows`' rows, by kind and format flavour, then by owner."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self._budget = budget
        self._kinds: OrderedDict[Hashable, dict[Any, tuple[int, bytes]]] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._size = 0
        #: Rows answered from the cache, and rows encoded.
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._kinds.values())

    @property
    def size(self) -> int:
        """Bytes counted against the budget."""
        return self._size

    def rows(self, kind: Hashable) -> dict[Any, tuple[int, bytes]]:
        """The cached rows of one kind (made most recently used)."""
        rows = self._kinds.get(kind)
        if rows is None:
            rows = self._kinds[kind] = {}
            self._sizes[kind] = 0
        else:
            self._kinds.move_to_end(kind)
        return rows

    def encoded(self, rows: CachedRows, variant: Hashable,
                encode: Callable[[Any], bytes], run: int = RUN) -> Iterator[list[bytes]]:
        """The encodings of ``rows`` in order, in lists of up to ``run`` rows
        (``variant``: the format's flavour)."""
        kind = (rows.kind, variant)
        cached = self.rows(kind)
        make, version_of = rows.make, rows.version_of
        owners = rows.owners
        # Compiled: methods are called on their objects, not bound to locals first.
        for start in range(0, len(owners), run):
            done: list[bytes] = []
            missed = 0
            grown = 0
            for owner in owners[start:start + run]:
                version = version_of(owner)
                hit = cached.get(owner)
                if hit is not None and hit[0] == version:
                    done.append(hit[1])
                    continue
                missed += 1
                encoded = encode(make(owner))
                cached[owner] = (version, encoded)
                if hit is None:
                    grown += len(encoded) + ROW_OVERHEAD
                else:
                    grown += len(encoded) - len(hit[1])
                done.append(encoded)
            if missed:
                self._grow(kind, grown)
            self.hits += len(done) - missed
            self.misses += missed
            yield done

    def _grow(self, kind: Hashable, grown: int) -> None:
        """Count a run's stored rows (once per run: ``kind`` is a tuple, hashed per lookup)."""
        self._sizes[kind] += grown
        self._size += grown
        if self._size > self._budget:
            self._shrink(kind)

    def _shrink(self, keep: Hashable) -> None:
        """Drop the least recently used kinds, then ``keep``'s rows if still over."""
        for kind in list(self._kinds):
            if self._size <= self._budget:
                return
            if kind != keep:
                self._drop(kind)
        if self._size > self._budget:
            self._kinds[keep].clear()
            self._size -= self._sizes[keep]
            self._sizes[keep] = 0

    def _drop(self, kind: Hashable) -> None:
        del self._kinds[kind]
        self._size -= self._sizes.pop(kind)
