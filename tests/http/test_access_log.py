"""The access log: off unless ``httpd_access_log``; never the query string."""

from __future__ import annotations

import io

from twisted.internet.testing import MemoryReactorClock
from twisted.web.resource import Resource
from twisted.web.test.requesthelper import DummyRequest

from kismet_tx.http.site import KismetSite


def _answered(site: KismetSite) -> str:
    written = io.StringIO()
    site._logFile = written  # Twisted's own log target, swapped for the test
    request = DummyRequest([b"devices"])
    request.uri = b"/devices/last-time/0/devices.json?user=admin&password=secret"
    request.method = b"GET"
    request.code = 200
    site.log(request)  # type: ignore[arg-type]
    return written.getvalue()


def test_no_line_per_request_by_default() -> None:
    assert _answered(KismetSite(Resource(), MemoryReactorClock())) == ""


def test_the_line_has_the_path_and_never_the_query() -> None:
    line = _answered(KismetSite(Resource(), MemoryReactorClock(), access_log=True))
    assert '"GET /devices/last-time/0/devices.json" 200' in line
    assert "secret" not in line and "user=" not in line
