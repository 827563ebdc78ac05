"""A private rabbitmq-server (the Debian package) for one test, on free loopback ports.

Each broker has its own node name (with the pid), ports the kernel picked, and
its own config, database, logs, cookie and pid file under the test's tmp dir.
Readiness is ``rabbitmqctl wait`` (the pid file, then the broker's boot);
stopping is ``rabbitmqctl stop`` on the pid file, then a kill of this node's
own process if it lingers. The shared epmd is left alone.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SBIN = Path("/usr/lib/rabbitmq/bin")
_NODES = itertools.count()
TIMEOUT = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """One rabbitmq-server node under ``where``."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.node = f"kxtest{os.getpid()}n{next(_NODES)}@localhost"
        self.port = _free_port()
        self.dist_port = _free_port()
        self.pidfile = where / "rabbit.pid"
        where.mkdir(parents=True, exist_ok=True)
        (where / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")
        (where / "enabled_plugins").write_text("[].\n")
        self.env = dict(
            os.environ, HOME=str(where), RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1", RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(where / "mnesia"), RABBITMQ_LOG_BASE=str(where / "log"),
            RABBITMQ_CONFIG_FILE=str(where / "rabbitmq"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(where / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(self.pidfile),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The AMQP URL of this broker (guest login)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SBIN / "rabbitmqctl"), "-n", self.node, *args],
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT)

    def start(self) -> None:
        """Start the node and wait until it accepts connections."""
        self.pidfile.unlink(missing_ok=True)
        log = (self.where / "server.out").open("ab")
        self.process = subprocess.Popen([str(SBIN / "rabbitmq-server")], env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        done = self._ctl("wait", str(self.pidfile), "--timeout", str(TIMEOUT))
        if done.returncode != 0:
            self.stop()
            raise AssertionError(f"rabbitmq-server did not start: {done.stdout}{done.stderr}")

    def stop(self) -> None:
        """Stop the node (and make sure its process is gone)."""
        process, self.process = self.process, None
        if process is None:
            return
        if self.pidfile.exists():
            self._ctl("stop", str(self.pidfile))
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def running_broker(tmp_path: Path) -> Iterator[Broker]:
    """A running private broker, stopped after (for a fixture to ``yield from``)."""
    if shutil.which(str(SBIN / "rabbitmq-server")) is None:
        pytest.fail("rabbitmq-server is not installed (.ci/run installs it with apt-get)")
    node = Broker(tmp_path / "rabbit")
    node.start()
    try:
        yield node
    finally:
        node.stop()
