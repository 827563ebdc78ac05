"""The one serializer layer: picks json, msgpack, ekjson, itjson, ... by URL suffix.

Rules (Part A item 2 and Part B 3.1):
- ``json``, ``cmd``, ``jcmd``: one compact line; dotted names kept.
- ``itjson``: a list is one object per line; anything else is one line.
- ``ekjson``: like itjson, with ``.`` turned into ``_`` in names (never values).
- ``tjson``: like json, with ``.`` turned into ``_``; served as text/plain.
- ``prettyjson``: indented, each field preceded by a ``description.<field>`` entry.
- ``msgpack``: exactly the structure json gives, binary.

Records may be plain dicts or any ``Mapping`` (the tracker hands out lazy
views); lists may be any iterable, which is streamed in chunks so the whole
body never needs to sit in memory. A list given as
:class:`~kismet_tx.http.rowcache.CachedRows` has its rows' JSON reused from the
serializer's :class:`~kismet_tx.http.rowcache.RowCache` while their owners are
unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import msgpack
import orjson

from kismet_tx.http.rowcache import RUN, CachedRows, RowCache

JSON_FORMATS = frozenset({"json", "cmd", "jcmd", "itjson", "ekjson", "tjson", "prettyjson"})
FORMATS = JSON_FORMATS | {"msgpack"}
LINE_FORMATS = frozenset({"itjson", "ekjson"})
UNDERSCORE_FORMATS = frozenset({"ekjson", "tjson"})

CONTENT_TYPES: dict[str, bytes] = {
    "json": b"application/json",
    "cmd": b"application/json",
    "jcmd": b"application/json",
    "itjson": b"application/json",
    "ekjson": b"application/json",
    "prettyjson": b"application/json",
    "tjson": b"text/plain",
    "msgpack": b"application/x-msgpack",
}

#: How many list items go into one written chunk when streaming.
CHUNK_ITEMS = 256
#: The same for cached rows (a poll's): cheap to write, so a poll of a few thousand
#: devices goes out in one chunk, one cooperative step, unless its time slice ends
#: first; polls in flight then finish one after another rather than all late.
CACHED_CHUNK_ROWS = 8192

_ORJSON_OPTS = orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    """Fallback for values orjson/msgpack do not know natively."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, Iterable):
        return list(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


_underscore_cache: dict[str, str] = {}


def _underscore_name(name: str) -> str:
    cached = _underscore_cache.get(name)
    if cached is None:
        cached = name.replace(".", "_")
        if len(_underscore_cache) < 65536:
            _underscore_cache[name] = cached
    return cached


_SCALARS = (str, int, float, bytes, bytearray, memoryview, type(None))
#: Exact types with no names inside (kept as they are by :func:`underscore_names`).
_ATOMIC = frozenset({str, int, float, bool, type(None), bytes})


def underscore_names(value: Any) -> Any:
    """Return ``value`` with every map key's ``.`` turned into ``_``."""
    # Exact-type fast paths first: records are mostly plain dicts, lists and
    # scalars, and ABC isinstance checks double the cost of a full device.
    kind = type(value)
    if kind is dict:
        # Scalar values (most of a record) are kept without a call each.
        return {(_underscore_name(k) if type(k) is str else k):
                (v if type(v) in _ATOMIC else underscore_names(v))
                for k, v in value.items()}
    if kind is list:
        # A list of scalars (an RRD's minute vector) is kept as it is.
        if set(map(type, value)) <= _ATOMIC:
            return value
        return [v if type(v) in _ATOMIC else underscore_names(v) for v in value]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if isinstance(value, Mapping):
        return {
            (_underscore_name(k) if isinstance(k, str) else k): underscore_names(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [underscore_names(v) for v in value]
    if isinstance(value, _SCALARS) or not isinstance(value, Iterable):
        return value
    # Any other iterable (deque, set, lazy sequence) is serialized as a list,
    # so the records inside it need their names rewritten too.
    return [underscore_names(v) for v in value]


def _json(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=_ORJSON_OPTS)


def _json_underscored(value: Any) -> bytes:
    return _json(underscore_names(value))


def _describe(value: Any, describe: Callable[[str], str | None]) -> Any:
    """Insert ``description.<field>`` entries before each described field."""
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str):
                text = describe(key)
                if text is not None:
                    out["description." + key] = text
            out[key] = _describe(item, describe)
        return out
    if isinstance(value, (list, tuple)):
        return [_describe(v, describe) for v in value]
    return value


class Serializer:
    """Encodes plain data in one of the supported formats."""

    def __init__(self, describe: Callable[[str], str | None] | None = None,
                 rows: RowCache | None = None) -> None:
        self._describe = describe or (lambda name: None)
        #: Encoded :class:`CachedRows` rows, reused while their owners are unchanged.
        self.rows = RowCache() if rows is None else rows

    @staticmethod
    def content_type(fmt: str) -> bytes:
        """MIME type for a format suffix."""
        return CONTENT_TYPES[fmt]

    def _prepare(self, value: Any, fmt: str) -> Any:
        if fmt in UNDERSCORE_FORMATS:
            return underscore_names(value)
        return value

    def encode(self, value: Any, fmt: str) -> bytes:
        """Encode a whole value (a record, a list, a wrapper)."""
        if fmt == "msgpack":
            # Packed from the JSON form so the structure is exactly the same:
            # string map keys, bytes as hex, sets as lists (Part A item 2).
            return msgpack.packb(orjson.loads(_json(value)), use_bin_type=True)
        if fmt == "prettyjson":
            described = _describe(value, self._describe)
            body = orjson.dumps(
                described, default=_default, option=_ORJSON_OPTS | orjson.OPT_INDENT_2
            )
            return body.replace(b"\n", b"\r\n") + b"\r\n"
        value = self._prepare(value, fmt)
        if fmt in LINE_FORMATS:
            if isinstance(value, list):
                return b"".join(_json(item) + b"\n" for item in value)
            return _json(value) + b"\n"
        return _json(value)

    def encode_list(self, items: Iterable[Any], fmt: str,
                    due: Callable[[], bool] | None = None, *,
                    wrap: Mapping[str, Any] | None = None,
                    key: str = "data") -> Iterator[bytes]:
        """Encode a list lazily, yielding chunks of about ``CHUNK_ITEMS`` items.

        With ``due``, a chunk also ends as soon as ``due()`` says its slice of
        time is spent, so one chunk of big records never holds the reactor long.
        With ``wrap``, the list is written as the ``key`` entry (first) of that
        dictionary, which is one value, so one line in itjson/ekjson.
        """
        if fmt == "msgpack" or fmt == "prettyjson":
            whole: Any = list(items)
            if wrap is not None:
                whole = {key: whole, **{k: v for k, v in wrap.items() if k != key}}
            yield self.encode(whole, fmt)
            return
        underscore = fmt in UNDERSCORE_FORMATS
        lines = fmt in LINE_FORMATS and wrap is None
        batch: list[bytes] = []
        first = True
        suffix = b"]"
        if wrap is not None:
            rest = {k: v for k, v in wrap.items() if k != key}
            name = _underscore_name(key) if underscore else key
            batch.append(b"{" + _json(name) + b":[")
            if rest:
                suffix += b"," + _json(underscore_names(rest) if underscore else rest)[1:]
            else:
                suffix += b"}"
            if fmt in LINE_FORMATS:
                suffix += b"\n"
        elif not lines:
            batch.append(b"[")
        separator = b"\n" if lines else b","
        encode = _json_underscored if underscore else _json
        pieces: Iterator[bytes]
        if type(items) is CachedRows:
            # A piece is a run of rows, joined (RUN rows, fewer for the last).
            pieces = map(separator.join, self.rows.encoded(items, underscore, encode))
            rows_per_piece = RUN
            chunk_items = CACHED_CHUNK_ROWS
        else:
            pieces = map(encode, items)
            rows_per_piece = 1
            chunk_items = CHUNK_ITEMS
        count = 0
        for piece in pieces:
            if lines:
                batch.append(piece)
                batch.append(b"\n")
            else:
                if not first:
                    batch.append(b",")
                batch.append(piece)
            first = False
            count += rows_per_piece
            if count >= chunk_items or (due is not None and due()):
                yield b"".join(batch)
                batch = []
                count = 0
        if not lines:
            batch.append(suffix)
        if batch:
            yield b"".join(batch)
