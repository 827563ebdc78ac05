"""The field registry: every field the server emits, with its type and description.

Each domain module declares its fields as a constant tuple of
:class:`FieldDef`; the service registers them all into one
:class:`FieldRegistry`, which feeds ``/system/tracked_fields.html``,
``prettyjson`` descriptions and ``kismet.system.num_fields``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One named field."""

    name: str
    type: str
    description: str


class FieldRegistry:
    """Name -> definition, in registration order."""

    def __init__(self) -> None:
        self._fields: dict[str, FieldDef] = {}

    def register(self, fields: Iterable[FieldDef]) -> None:
        """Add definitions; re-registering a name with another type is an error."""
        for item in fields:
            known = self._fields.get(item.name)
            if known is not None and known.type != item.type:
                raise ValueError(f"field {item.name} registered as {known.type} and {item.type}")
            self._fields[item.name] = item

    def get(self, name: str) -> FieldDef | None:
        """The definition of ``name``, if registered."""
        return self._fields.get(name)

    def describe(self, name: str) -> str | None:
        """``"<type>, <description>"`` for prettyjson."""
        item = self._fields.get(name)
        return None if item is None else f"{item.type}, {item.description}"

    def __len__(self) -> int:
        return len(self._fields)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._fields.values())

    def html(self) -> str:
        """The ``/system/tracked_fields.html`` page."""
        rows = "\n".join(
            f"<tr><td>{escape(f.name)}</td><td>{escape(f.type)}</td>"
            f"<td>{escape(f.description)}</td></tr>"
            for f in sorted(self._fields.values(), key=lambda f: f.name)
        )
        return (
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<title>Kismet tracked fields</title></head><body>\n"
            "<h1>Kismet tracked fields</h1>\n"
            f"<p>{len(self._fields)} registered fields.</p>\n"
            "<table border=\"1\"><tr><th>Field</th><th>Type</th><th>Description</th></tr>\n"
            f"{rows}\n</table></body></html>\n"
        )
