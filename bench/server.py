"""A real ``twistd -n kismet`` for benchmarks: started on a kernel-chosen loopback port,
its log read by a thread so lines can be awaited (the readiness signal), stopped by SIGTERM.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
TWISTD = [sys.executable, "-c",
          "import sys; sys.argv[0] = 'twistd'; from twisted.scripts.twistd import run; run()"]
_REPLAY_SECONDS = re.compile(r"finished replaying .*: \d+ frames in ([\d.]+) s")
_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/")
#: Seconds to wait for an awaited log line.
TIMEOUT = 300.0


def process_cpu(pid: int) -> tuple[float, float]:
    """A process's CPU time so far, seconds: ``(on a CPU, of which in the kernel)``.

    The first is the scheduler's nanosecond count summed over the process's
    threads; the second comes from the kernel's clock ticks (10 ms steps).
    """
    running = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            running += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that has just ended
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return running / 1e9, int(fields[12]) / os.sysconf("SC_CLK_TCK")


class Server:
    """``twistd -n kismet`` whose log a thread reads; log lines can be awaited."""

    def __init__(self, where: Path, conf: str = "", *args: str) -> None:
        home = where / "home"
        home.mkdir(parents=True, exist_ok=True)
        command = [*TWISTD, "-n", "--pidfile=", "kismet", "--port", "0", "--bind", "127.0.0.1",
                   "--homedir", str(home), *args]
        if conf:
            (where / "kismet.conf").write_text(conf)
            command += ["--config", str(where / "kismet.conf")]
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(command, cwd=where, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            line = self.wait_for(_LISTENING.pattern)
        except RuntimeError:
            self.kill()
            raise
        self.port = int(_LISTENING.search(line).group(1))  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"
        values = dict(row.split("=", 1) for row in
                      (home / "kismet_httpd.conf").read_text().splitlines()
                      if "=" in row and not row.startswith("#"))
        self.auth = (values["httpd_username"], values["httpd_password"])

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append("")
            self._changed.notify_all()

    @property
    def authorization(self) -> str:
        return "Basic " + base64.b64encode(":".join(self.auth).encode()).decode()

    def wait_for(self, pattern: str, start: int = 0, timeout: float = TIMEOUT) -> str:
        """The first log line from index ``start`` on that matches ``pattern``."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            index = start
            while True:
                while index < len(self.lines):
                    line = self.lines[index]
                    if compiled.search(line):
                        return line
                    if line == "":
                        raise RuntimeError("server exited:\n" + "".join(self.lines[-30:]))
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RuntimeError(f"no log line matching {pattern!r}:\n"
                                       + "".join(self.lines[-30:]))
                self._changed.wait(remaining)

    def rss_kib(self, key: str = "VmRSS") -> int:
        """A memory figure of the server process from /proc, KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"no {key} in /proc status")

    def cpu_seconds(self) -> tuple[float, float]:
        """The server's CPU time so far (:func:`process_cpu`)."""
        return process_cpu(self.process.pid)

    def streams(self) -> dict[str, dict[str, int]]:
        """``/streams/all_streams``."""
        return requests.get(f"{self.url}/streams/all_streams.json", timeout=30).json()

    @staticmethod
    def replay_seconds(line: str) -> float:
        """The duration a "finished replaying" line gives (the server's own clock)."""
        found = _REPLAY_SECONDS.search(line)
        if found is None:
            raise RuntimeError(f"no duration in {line!r}")
        return float(found.group(1))

    def mark(self) -> int:
        with self._changed:
            return len(self.lines)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the exit; returns the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
