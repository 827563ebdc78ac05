"""Shared fixtures of the hardening suite: the route table and resolved route URLs."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kismet_tx.http.routing import RouteInfo
from tests.hardening.rig import LogCapture, Rig, build_rig
from tests.hardening.routes import Route, resolve, routes


def _table() -> list[tuple[RouteInfo, str]]:
    """Every (route, method) of a freshly built server, read at collection time."""
    where = Path(tempfile.mkdtemp(prefix="kismet-routes-"))
    try:
        rig = build_rig(where)
        table = list(routes(rig))
        rig.stop()
        return table
    finally:
        shutil.rmtree(where, ignore_errors=True)


#: Every (route, method) the server registers.
ROUTES = _table()


def route_id(item: tuple[RouteInfo, str]) -> str:
    info, method = item
    return f"{method}-{info.path}{info.suffix}-{info.name}"


@pytest.fixture(scope="session")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Callable[[RouteInfo, str], Route]:
    """``resolved(info, method)``: the route with known values, worked out once."""
    cache: dict[tuple[RouteInfo, str], Route] = {}
    counter = iter(range(1_000_000))

    def lookup(info: RouteInfo, method: str) -> Route:
        key = (info, method)
        if key not in cache:
            cache[key] = resolve(tmp_path_factory.mktemp(f"resolve{next(counter)}"), info,
                                 method)
        return cache[key]

    return lookup


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    """A fresh in-process server that has replayed the capture."""
    built = build_rig(tmp_path)
    yield built
    built.stop()


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    """Every log event emitted during the test."""
    with LogCapture() as capture:
        yield capture
