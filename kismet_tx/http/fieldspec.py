"""Kismet ``fields`` simplification and ``regex`` filtering over plain-data records.

A record is a tree of ``collections.abc.Mapping`` nodes (plain dicts or lazy
mappings), lists/tuples and scalars, keyed by Kismet dotted field names. Only
the ``Mapping`` protocol (``get``, ``__contains__``, ``values``) is used, so
lazy device views work unchanged.

Both request parameters are validated and compiled once per request
(:func:`compile_fields`, :func:`compile_regex`); the compiled objects are then
applied to every record without further parsing.

Field specification, as Kismet's summarisation does it:

* items are ``"path"`` or ``["path", "alias"]``; a path is field names joined
  by ``/`` and each name descends into a Mapping child; lists and maps are
  never expanded;
* empty components (``a//b``, a trailing ``/``) are skipped, as Kismet does;
* the output key is the alias, or the last non-empty component as typed (an
  empty alias counts as no alias); a path with no components at all keeps the
  raw string as its key;
* a path that does not resolve still produces its key, with the value ``0``;
* a path to a sub-map yields that sub-object itself (shared, not copied);
* when two items produce the same key the later value wins and the key keeps
  the position of its first occurrence (plain ``dict`` assignment semantics).

Regex filter, as Kismet's regex view worker does it: a record matches when
any ``[multipath, pattern]`` pair finds any string value (OR semantics, an
unanchored search). See :class:`RegexFilter` for the matching rules.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import pcre2

from kismet_tx.pcre import PcreError, compile_user_pcre, pcre_search

__all__ = [
    "MISSING",
    "REGEX_SHAPE_ERROR",
    "FieldSpec",
    "FieldSpecError",
    "Missing",
    "RegexFilter",
    "RegexSpecError",
    "RowMaker",
    "compile_fields",
    "compile_regex",
    "iter_multipath",
    "resolve_path",
    "split_path",
]

#: Types known to be Mappings (an ABC isinstance check costs as much as a field's read).
_MAPPING_TYPES: set[type] = {dict}


def is_mapping(value: Any) -> bool:
    """``isinstance(value, Mapping)``, with the answer kept per type."""
    kind = type(value)
    if kind in _MAPPING_TYPES:
        return True
    if isinstance(value, Mapping):
        _MAPPING_TYPES.add(kind)
        return True
    return False


class FieldSpecError(ValueError):
    """The ``fields`` parameter is malformed; the message starts ``Invalid field mapping``."""


class RegexSpecError(ValueError):
    """The ``regex`` parameter is malformed or a pattern fails; the message starts
    ``Invalid regex``."""


class Missing(enum.Enum):
    """Type of the :data:`MISSING` sentinel."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing.MISSING
"""Returned by :func:`resolve_path` when the path does not resolve."""

REGEX_SHAPE_ERROR: Final = (
    "Invalid regex: expected array of [field, regex] pairs for regex filter"
)

Path = tuple[str, ...]


def split_path(path: str) -> Path:
    """Split a ``/``-separated field path into its non-empty components."""
    return tuple(part for part in path.split("/") if part)


def resolve_path(record: Any, path: str | Sequence[str]) -> Any:
    """Value at ``path`` (a string or pre-split components) in ``record``, or MISSING.

    Each component descends into a Mapping child; an absent key, a non-mapping
    node on the way, or an empty path gives :data:`MISSING`.
    """
    components = split_path(path) if isinstance(path, str) else path
    if not components:
        return MISSING
    node = record
    for name in components:
        if not is_mapping(node):
            return MISSING
        node = node.get(name, MISSING)
        if node is MISSING:
            return MISSING
    return node


class RowMaker:
    """The simplified record of an object: ``{key: read(obj, ctx)}`` in spec order."""

    __slots__ = ("_ctx", "_readers")

    def __init__(self, readers: tuple[tuple[str, Callable[[Any, Any], Any]], ...],
                 ctx: Any) -> None:
        self._readers = readers
        self._ctx = ctx

    def __call__(self, obj: Any) -> dict[str, Any]:
        ctx = self._ctx
        row: dict[str, Any] = {}
        for key, read in self._readers:
            row[key] = read(obj, ctx)
        return row


class FieldSpec:
    """A compiled ``fields`` specification; build it with :func:`compile_fields`."""

    __slots__ = ("_direct", "_entries", "_names", "_plan", "_top_level")

    def __init__(self, entries: Iterable[tuple[str, Path]] = ()) -> None:
        merged: dict[str, Path] = {}
        for key, components in entries:
            merged[key] = components
        self._entries: tuple[tuple[str, Path], ...] = tuple(merged.items())
        self._names = tuple(merged)
        # (key, first component or None for an empty path, remaining components)
        self._plan: tuple[tuple[str, str | None, Path], ...] = tuple(
            (key, components[0] if components else None, components[1:])
            for key, components in self._entries
        )
        # Every entry reads one top-level field: a lazy record's getters serve it.
        self._top_level = all(first is not None and not rest for _, first, rest in self._plan)
        # Record type -> its direct field readers (None: read through ``get``).
        self._direct: dict[type, tuple[tuple[str, Callable[[Any], Any]], ...] | None] = {}

    @property
    def is_identity(self) -> bool:
        """True when the spec was empty: records pass through unchanged."""
        return not self._entries

    @property
    def names(self) -> tuple[str, ...]:
        """Output keys, in output order."""
        return self._names

    @property
    def roots(self) -> frozenset[str | None]:
        """The top-level field each entry reads (None for an empty path)."""
        return frozenset(first for _, first, _ in self._plan)

    @property
    def entries(self) -> tuple[tuple[str, Path], ...]:
        """``(output key, path components)`` pairs, in output order."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"FieldSpec({list(self._entries)!r})"

    def apply(self, record: Any) -> Mapping[str, Any]:
        """Simplify one record into a new ordered dict (the record itself if identity)."""
        if not self._entries:
            same: Mapping[str, Any] = record
            return same
        if type(record) is not dict:
            if not is_mapping(record):
                return dict.fromkeys(self._names, 0)
            readers = self._readers(type(record))
            if readers is not None:
                # Top-level fields of a lazy record: its getters, looked up once per spec.
                direct: dict[str, Any] = {}
                for key, read in readers:
                    direct[key] = read(record)
                return direct
        get = record.get
        out: dict[str, Any] = {}
        missing = MISSING
        for key, first, rest in self._plan:
            if first is None:
                out[key] = 0
                continue
            if not rest:
                out[key] = get(first, 0)
                continue
            node = get(first, missing)
            for name in rest:
                if node is missing:
                    break
                if type(node) is not dict and not is_mapping(node):
                    node = missing
                    break
                node = node.get(name, missing)
            out[key] = 0 if node is missing else node
        return out

    def _readers(self, record_type: type) -> tuple[tuple[str, Callable[[Any], Any]], ...] | None:
        """``(output key, reader)`` per entry for records of a type with
        ``field_reader`` (lazy records), when every entry is a top-level field."""
        cache = self._direct
        if record_type in cache:
            return cache[record_type]
        field_reader = getattr(record_type, "field_reader", None)
        readers: tuple[tuple[str, Callable[[Any], Any]], ...] | None = None
        if field_reader is not None and self._top_level:
            readers = tuple((key, field_reader(first, 0)) for key, first, _ in self._plan)
        cache[record_type] = readers
        return readers

    def row_maker(self, record_type: type, ctx: Any) -> RowMaker | None:
        """What :meth:`apply` gives for the record of ``(obj, ctx)``, as a function
        of ``obj`` that reads the values without building the record.

        For a lazy record type (one with ``value_reader``) and a spec of
        top-level fields only; None otherwise.
        """
        value_reader = getattr(record_type, "value_reader", None)
        if not self._entries or value_reader is None or not self._top_level:
            return None
        return RowMaker(tuple((key, value_reader(first, 0)) for key, first, _ in self._plan),
                        ctx)

    def apply_many(self, records: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
        """Simplify each record of a list or other iterable, lazily and in order."""
        if not self._entries:
            return iter(records)
        return map(self.apply, records)

    def apply_keyed(self, records: Mapping[Any, Any]) -> Mapping[Any, Any]:
        """Simplify each value of a keyed map of records, keeping its keys.

        An identity spec returns the map itself.
        """
        if not self._entries:
            return records
        apply = self.apply
        return {key: apply(value) for key, value in records.items()}


def _field_error(detail: str) -> FieldSpecError:
    return FieldSpecError(f"Invalid field mapping: {detail}")


def compile_fields(spec: Any) -> FieldSpec:
    """Validate and compile a decoded ``fields`` value.

    ``None`` or an empty array gives the identity spec. Raises
    :class:`FieldSpecError` for anything but an array whose items are strings
    or two-string arrays.
    """
    if spec is None:
        return FieldSpec()
    if not isinstance(spec, (list, tuple)):
        raise _field_error(
            f"expected an array of field names or [field, alias] pairs, "
            f"got {type(spec).__name__}"
        )
    entries: list[tuple[str, Path]] = []
    # Untrusted values until checked (compiled code would reject a non-str early).
    path: Any
    alias: Any
    for index, item in enumerate(spec):
        alias = ""
        if isinstance(item, str):
            path = item
        elif isinstance(item, (list, tuple)):
            if len(item) != 2:
                raise _field_error(
                    f"item {index} has {len(item)} elements, expected [field, alias]"
                )
            path, alias = item
            if not isinstance(path, str) or not isinstance(alias, str):
                raise _field_error(f"item {index} must be a [field, alias] pair of strings")
        else:
            raise _field_error(
                f"item {index} must be a field name or a [field, alias] pair, "
                f"got {type(item).__name__}"
            )
        components = split_path(path)
        key = alias or (components[-1] if components else path)
        entries.append((key, components))
    return FieldSpec(entries)


def iter_multipath(record: Any, components: Sequence[str]) -> Iterator[Any]:
    """Yield every value a regex multipath reaches in ``record``, depth first, in order.

    After a component resolves and more components remain, a list/tuple value
    is expanded into its items, and a Mapping value that lacks the next
    component is treated as a keyed collection (MAC, hash or int keys) and
    expanded into its values; the rest of the path continues on each element.
    The final value is yielded as-is (a terminal list is not expanded), and
    dead ends yield nothing, both as Kismet's multipath lookup does.
    """
    if not components:
        return
    last = len(components) - 1
    end = MISSING
    stack: list[tuple[Iterator[Any], int]] = [(iter((record,)), 0)]
    while stack:
        iterator, index = stack[-1]
        node = next(iterator, end)
        if node is end:
            stack.pop()
            continue
        while type(node) is dict or is_mapping(node):
            child = node.get(components[index], end)
            if child is end:
                break
            if index == last:
                yield child
                break
            index += 1
            if isinstance(child, (list, tuple)):
                stack.append((iter(child), index))
                break
            if isinstance(child, Mapping) and components[index] not in child:
                stack.append((iter(child.values()), index))
                break
            node = child


def _compile_pattern(pattern: str) -> pcre2.Pattern:
    """Compile with the shared PCRE helper and the server's match limits; a bad or
    refused pattern is a :class:`RegexSpecError`."""
    try:
        return compile_user_pcre(pattern)
    except PcreError as exc:
        raise RegexSpecError(f"Invalid regex: {exc}") from None


class RegexFilter:
    """A compiled ``regex`` filter; build it with :func:`compile_regex`.

    Matching rules:

    * each pair's multipath is expanded with :func:`iter_multipath`;
    * ``str`` values are searched as they are (lone surrogates become U+FFFD);
      ``bytes``/``bytearray`` values are decoded as Latin-1, one character per
      byte, so ``.`` matches one byte and ``\\xhh`` matches byte ``hh``;
      other values (numbers, booleans, None, containers) never match, as the
      endpoint documentation says of non-string fields;
    * the search is unanchored; ``^``/``$`` anchor to the value's ends;
    * every pattern runs under PCRE2 match, depth and heap limits
      (:func:`kismet_tx.pcre.compile_user_pcre`), and a search that reaches one
      counts as no match, as a failed ``pcre_exec`` does in Kismet;
    * a filter with no pairs matches nothing, as Kismet's does.
    """

    __slots__ = ("_compiled", "_pairs")

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs: tuple[tuple[str, str], ...] = tuple(pairs)
        self._compiled: tuple[tuple[Path, pcre2.Pattern], ...] = tuple(
            (split_path(path), _compile_pattern(pattern)) for path, pattern in self._pairs
        )

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The ``(multipath, pattern)`` pairs as given."""
        return self._pairs

    def __len__(self) -> int:
        return len(self._pairs)

    def __repr__(self) -> str:
        return f"RegexFilter({list(self._pairs)!r})"

    def matches(self, record: Any) -> bool:
        """True if any pair's pattern is found in any string value its multipath reaches."""
        for components, pattern in self._compiled:
            for value in iter_multipath(record, components):
                if isinstance(value, str):
                    text = value
                elif isinstance(value, (bytes, bytearray)):
                    text = value.decode("latin-1")
                else:
                    continue
                if pcre_search(pattern, text):
                    return True
        return False

    def filter(self, records: Iterable[Any]) -> Iterator[Any]:
        """Lazily keep the records that match, in order."""
        return filter(self.matches, records)


def compile_regex(spec: Any) -> RegexFilter:
    """Validate and compile a decoded ``regex`` value: ``[[multipath, pattern], ...]``.

    Raises :class:`RegexSpecError` with :data:`REGEX_SHAPE_ERROR` for a wrong
    shape, or ``Invalid regex: <PCRE2 message>`` when a pattern fails to compile.
    """
    if not isinstance(spec, (list, tuple)):
        raise RegexSpecError(REGEX_SHAPE_ERROR)
    pairs: list[tuple[str, str]] = []
    for item in spec:
        if (
            not isinstance(item, (list, tuple))
            or len(item) != 2
            or not isinstance(item[0], str)
            or not isinstance(item[1], str)
        ):
            raise RegexSpecError(REGEX_SHAPE_ERROR)
        pairs.append((item[0], item[1]))
    return RegexFilter(pairs)

