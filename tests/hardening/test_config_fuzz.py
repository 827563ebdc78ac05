"""The config reader and the service built from it, over arbitrary input.

tests/test_config.py fuzzes ``Config.from_text`` with text and source
definitions. Here the input is what reaches the server: raw bytes in a file
(not UTF-8, NUL bytes, includes of odd paths), typed reads of any value, and
any value for every key the server knows, built into the whole service. The
only allowed failure is :class:`ConfigError` (which ``twistd`` reports as a
usage error); a service that builds also starts, and answers.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from twisted.internet import task
from twisted.internet.testing import MemoryReactorClock

from kismet_tx.capture.memory import MemoryCaptureSystem
from kismet_tx.config import Config
from kismet_tx.configfile import ConfigError
from kismet_tx.service import KNOWN_KEYS, build_service
from kismet_tx.tracker.oui import ManufDb
from tests.hardening.rig import START, LogCapture, cached_manuf

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

lines = st.one_of(
    st.binary(max_size=60),
    st.builds(lambda k, v: k + b"=" + v, st.sampled_from([b"include", b"opt_include",
                                                          b"opt_override", b"httpd_port",
                                                          b"source", b"KEY"]),
              st.binary(max_size=40)),
)
values = st.one_of(
    st.text(max_size=30),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["true", "false", "yes", "0", "1", "-1", "nan", "inf", "1e999", "%h",
                     "5/sec", "10/min,1/sec", "wlan0:name=x", "pcapng,weird", " ", "a=b", "\\"]),
)
#: Keys whose values name files the server writes, opens or imports: only values
#: that stay inside the example's own directory (the working directory while it
#: runs), so no example can write, open or import anything outside it.
CONFINED = {
    "httpd_auth_file": st.sampled_from(["auth.conf", "sub/dir/auth.conf", "missing/", "."]),
    "log_prefix": st.sampled_from(["logs/", "./", "a b/", "x"]),
    "log_template": st.sampled_from(["%p/%n-%i.%l", "%n.%l", "%p%n-%D-%t-%i.%l", "%Q",
                                     "plain", "%"]),
    "log_title": st.sampled_from(["title", "a/b", "..", "%n"]),
    "gps": st.sampled_from(["virtual:lat=95,lon=200", "virtual:lat=x", "gpsd:port=0",
                            "gpsd:host=127.0.0.1,port=1", "web", "nonsense", "serial"]),
    "plugin": st.sampled_from(["", "no.such.module", "kismet_tx.plugins.probestats",
                               "kismet_tx:nothing"]),
}


@FUZZ
@given(raw=st.lists(lines, max_size=12).map(b"\n".join))
def test_any_file_reads_or_names_its_error(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as where, contextlib.chdir(where):
        path = Path(where) / "kismet.conf"
        path.write_bytes(raw)
        try:
            config = Config.load(path, home=where, known_keys=KNOWN_KEYS)
        except ConfigError as exc:
            assert str(exc)
            return
        for key in config.keys():
            config.get(key)
            config.get_list(key)
            for read in (config.get_int, config.get_float, config.get_bool):
                try:
                    read(key, 0)  # type: ignore[arg-type]
                except ConfigError as exc:
                    assert key in str(exc)


@st.composite
def server_settings(draw: st.DrawFn) -> dict[str, str]:
    """Up to 8 known keys, each with any value (a confined one for file-like keys)."""
    keys = draw(st.sets(st.sampled_from(sorted(KNOWN_KEYS - {"httpd_port"})), max_size=8))
    return {key: draw(CONFINED.get(key, values)) for key in sorted(keys)}


@FUZZ
@given(settings_=server_settings())
def test_any_value_of_any_key_builds_a_server_or_names_the_key(
        settings_: dict[str, str]) -> None:
    text = "".join(f"{key}={value}\n" for key, value in settings_.items()
                   if "\n" not in value and "\r" not in value)
    with tempfile.TemporaryDirectory() as where, contextlib.chdir(where), \
            LogCapture() as logs:
        home = Path(where)
        try:
            config = Config.from_text(text, name="<fuzz>", home=where, known_keys=KNOWN_KEYS)
        except ConfigError:
            event("config refused")
            return
        reactor = MemoryReactorClock()
        reactor.advance(START)
        try:
            with mock.patch.object(ManufDb, "load", cached_manuf), \
                    mock.patch.object(Path, "home", return_value=home):
                service = build_service(config, home / "home", reactor,
                                        capture_system=MemoryCaptureSystem(reactor.seconds))
        except ConfigError as exc:
            # The message names the key or its value (or, for a file, the path it made).
            named = [k for k, v in settings_.items()
                     if k in str(exc) or v.strip() in str(exc) or k in CONFINED]
            assert named and str(exc), str(exc)
            event("service refused")
            return
        event("service built")
        service.ctx.cooperator = task.Cooperator(scheduler=lambda w: reactor.callLater(0, w))
        with mock.patch.object(Path, "home", return_value=home):
            service.startService()
            reactor.advance(0)
            service.stopService()
            reactor.advance(0)
        assert not [line for line in logs.lines if "Traceback" in line], logs.lines[-3:]
