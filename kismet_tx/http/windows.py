"""Kismet's generic pagination over a list of records (``alerts_view``, SSID views).

The HTTP variables (query string and POST form fields, merged as Kismet does)
``page`` with ``length`` (or ``size``) ask for one page, answered as
``{"data", "last_page", "last_row", "total_row"}``; without ``page`` the whole
list comes back. ``sort``/``sort_dir`` order by a field path, ``search``
matches case-insensitively in every field the ``fields`` spec returns, and the
command's ``regex`` filters as everywhere. A page past the end gives the first
page, as in Kismet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kismet_tx.http.commands import parse_form
from kismet_tx.http.errors import BadRequest
from kismet_tx.http.fieldspec import Path, split_path
from kismet_tx.http.results import Listing
from kismet_tx.http.routing import ApiRequest


def uint_var(value: str, name: str) -> int:
    """A non-negative integer HTTP variable; anything else is a 400."""
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a non-negative integer") from None
    if number < 0:
        raise BadRequest(f"'{name}' must be a non-negative integer")
    return number


def request_vars(call: ApiRequest) -> dict[str, str]:
    """HTTP variables: the query string, then POST form fields (Kismet merges both)."""
    query = call.request.uri.partition(b"?")[2]
    variables = parse_form(query) if query else {}
    if call.request.method == b"POST":
        variables.update(call.cmd.form)
    return variables


@dataclass
class Window:
    """The page, order and search a request asks for."""

    paged: bool = False
    start: int = 0
    length: int = 0
    sort: Path = ()
    ascending: bool = False
    search: str = ""


def parse_window(variables: Mapping[str, str]) -> Window:
    """Read ``page``/``length``/``size``, ``sort``/``sort_dir`` and ``search``."""
    window = Window()
    if "page" in variables:
        window.paged = True
        page = uint_var(variables["page"], "page")
        window.length = uint_var(variables.get("length", variables.get("size", "0")) or "0",
                                 "length")
        window.start = page * window.length
    sort = variables.get("sort")
    if sort:
        window.sort = split_path(sort)
        window.ascending = variables.get("sort_dir") == "asc"
    window.search = variables.get("search", "")
    return window


def _value(record: Any, path: Sequence[str]) -> Any:
    node = record
    for name in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(name)
    return node


def _order(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, 0)


def window_records(call: ApiRequest, records: list[Any]) -> Any:
    """Filter, sort, page and simplify ``records`` as the request asks."""
    cmd = call.cmd
    spec = cmd.fields()
    match = cmd.regex()
    window = parse_window(request_vars(call))
    total = len(records)
    rows = records
    if window.search and spec is not None:
        needle = window.search.lower()
        paths = [path for _, path in spec.entries if path]
        rows = [r for r in rows if any(
            isinstance(v := _value(r, p), str) and needle in v.lower() for p in paths)]
    if match is not None:
        rows = [r for r in rows if match.matches(r)]
    filtered = len(rows)
    if window.sort:
        keyed = [(_order(_value(r, window.sort)), i, r) for i, r in enumerate(rows)]
        present = [k for k in keyed if k[0][0] < 2]
        present.sort(key=lambda k: k[0], reverse=not window.ascending)
        rows = [r for _, _, r in present] + [r for key, _, r in keyed if key[0] == 2]
    start = window.start if window.start < filtered else 0
    end = start + window.length if window.length > 0 else None
    page = rows[start:end]
    data = list(spec.apply_many(page)) if spec is not None else page
    if not window.paged:
        return Listing(data)
    return {"data": data,
            "last_page": math.ceil(filtered / window.length) if window.length > 0 else 0,
            "last_row": filtered, "total_row": total}
