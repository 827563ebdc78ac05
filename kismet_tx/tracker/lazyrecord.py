"""Read-only Mappings whose values are computed by per-name getters on first read."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


class LazyRecord(Mapping[str, Any]):
    """A Mapping whose values are computed by per-name getters on first read."""

    __slots__ = ("_obj", "_ctx")

    #: name -> getter(obj, ctx); subclasses fill it.
    GETTERS: dict[str, Callable[[Any, Any], Any]] = {}
    #: name -> predicate(obj): present (dynamic fields); absent means always present.
    PRESENT: dict[str, Callable[[Any], bool]] = {}
    #: Names whose getter returns another lazy record.
    NESTED: frozenset[str] = frozenset()
    #: ``(name, getter, predicate, nested)`` in field order, fixed with the subclass.
    _PLAN: tuple[tuple[str, Callable[[Any, Any], Any], Callable[[Any], bool] | None,
                       bool], ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._PLAN = tuple((name, getter, cls.PRESENT.get(name), name in cls.NESTED)
                          for name, getter in cls.GETTERS.items())

    def __init__(self, obj: Any, ctx: Any) -> None:
        self._obj = obj
        self._ctx = ctx

    def __getitem__(self, name: str) -> Any:
        getter = self.GETTERS.get(name)
        if getter is None:
            raise KeyError(name)
        present = self.PRESENT.get(name)
        if present is not None and not present(self._obj):
            raise KeyError(name)
        return getter(self._obj, self._ctx)

    def get(self, name: str, default: Any = None) -> Any:
        getter = self.GETTERS.get(name)
        if getter is None:
            return default
        present = self.PRESENT.get(name)
        if present is not None and not present(self._obj):
            return default
        return getter(self._obj, self._ctx)

    @classmethod
    def value_reader(cls, name: str, default: Any) -> Callable[[Any, Any], Any]:
        """A function reading field ``name`` of the record of ``(obj, ctx)`` as
        :meth:`get` does (``default`` when absent), without building the record."""
        getter = cls.GETTERS.get(name)
        if getter is None:
            return lambda obj, ctx: default
        present = cls.PRESENT.get(name)
        if present is None:
            return getter
        return lambda obj, ctx: getter(obj, ctx) if present(obj) else default

    @classmethod
    def field_reader(cls, name: str, default: Any) -> Callable[[LazyRecord], Any]:
        """A function reading field ``name`` of a record of this class as
        :meth:`get` does (``default`` when absent), with the lookups done once."""
        read = cls.value_reader(name, default)
        return lambda record: read(record._obj, record._ctx)

    def __contains__(self, name: object) -> bool:
        if name not in self.GETTERS:
            return False
        present = self.PRESENT.get(name)
        return present is None or present(self._obj)

    def __iter__(self) -> Iterator[str]:
        obj = self._obj
        present = self.PRESENT
        for name in self.GETTERS:
            check = present.get(name)
            if check is None or check(obj):
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def to_dict(self) -> dict[str, Any]:
        """The whole record as plain dicts and lists, sub-records included.

        Serializers encode plain containers natively, so a full record goes out
        several times faster this way than through the Mapping protocol.
        """
        obj = self._obj
        ctx = self._ctx
        out: dict[str, Any] = {}
        for name, getter, present, nested in self._PLAN:
            if present is None or present(obj):
                value = getter(obj, ctx)
                out[name] = value.to_dict() if nested else value
        return out

