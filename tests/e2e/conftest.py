"""A real ``twistd -n kismet`` on a free loopback port, for end-to-end tests.

Readiness is the server's own "listening on http://HOST:PORT/" log line, which
also tells the port the kernel chose (``--port 0``); no sleeps.
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: ``twistd`` of this interpreter, run so that the source tree is what gets served.
TWISTD = [sys.executable, "-c",
          "import sys; sys.argv[0] = 'twistd'; from twisted.scripts.twistd import run; run()"]
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)/")
START_TIMEOUT = 30.0
#: Every server started, in order. One a test started is killed at the test's end
#: if still running, so a failed test leaves no replay hogging a core or holding a
#: port for the next ones (a module's shared server, started before, is left).
_STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_server_outlives_its_test() -> Iterator[None]:
    mark = len(_STARTED)
    yield
    while len(_STARTED) > mark:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


@dataclass
class RunningServer:
    """A server process, its URL, admin login and log so far."""

    process: subprocess.Popen[bytes]
    url: str
    username: str
    password: str
    homedir: Path
    log: list[str]

    def read_log_until(self, pattern: str, timeout: float = START_TIMEOUT) -> str:
        """Read the server log until a line matches ``pattern``; return that line."""
        return _wait_for_line(self.process, re.compile(pattern), self.log, timeout)

    def read_next_line(self, timeout: float = START_TIMEOUT) -> str:
        """Wait for the server's next log line (the server did something); return it."""
        seen = len(self.log)
        return _wait_for_line(self.process, re.compile(""), self.log, timeout, after=seen)


def _wait_for_line(process: subprocess.Popen[bytes], pattern: re.Pattern[str],
                   log: list[str], timeout: float, after: int = 0) -> str:
    """Read raw output (no Python-side buffering, so select() tells the truth).

    Lines before index ``after`` of ``log`` are not looked at.
    """
    for line in log[after:]:
        if pattern.search(line):
            return line
    assert process.stdout is not None
    fd = process.stdout.fileno()
    pending = getattr(process, "_kismet_pending", b"")
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode("utf-8", "replace") + "\n"
                log.append(line)
                if pattern.search(line):
                    process._kismet_pending = pending  # type: ignore[attr-defined]
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise AssertionError(f"no log line matching {pattern.pattern!r}:\n"
                                     + "".join(log[-40:]))
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError("server exited:\n" + "".join(log[-40:]))
            pending += chunk


def start_server(tmp_path: Path, *args: str, conf: str | None = None) -> RunningServer:
    """Start ``twistd -n kismet`` from the source tree on a kernel-chosen port."""
    homedir = tmp_path / "home"
    command = [*TWISTD, "-n", "--pidfile=", "kismet",
               "--port", "0", "--bind", "127.0.0.1", "--homedir", str(homedir), *args]
    if conf is not None:
        conf_path = tmp_path / "kismet.conf"
        conf_path.write_text(conf)
        command += ["--config", str(conf_path)]
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, bufsize=0)
    _STARTED.append(process)
    log: list[str] = []
    try:
        line = _wait_for_line(process, _LISTENING, log, START_TIMEOUT)
    except AssertionError:
        process.kill()
        process.wait()
        raise
    url = _LISTENING.search(line).group(1)  # type: ignore[union-attr]
    values = dict(
        row.split("=", 1) for row in (homedir / "kismet_httpd.conf").read_text().splitlines()
        if "=" in row and not row.startswith("#")
    )
    return RunningServer(process, url, values["httpd_username"], values["httpd_password"],
                         homedir, log)


def stop_server(server: RunningServer) -> int:
    """SIGTERM the server and wait for a clean exit; returns the exit code."""
    server.process.terminate()
    try:
        out, _ = server.process.communicate(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.process.kill()
        out, _ = server.process.communicate()
    server.log.append(getattr(server.process, "_kismet_pending", b"").decode("utf-8", "replace"))
    server.log.append((out or b"").decode("utf-8", "replace"))
    return server.process.returncode


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A running server with no data sources."""
    running = start_server(tmp_path)
    yield running
    stop_server(running)
