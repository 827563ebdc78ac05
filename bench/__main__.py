"""``make bench``: run every benchmark module, each in its own interpreter, and print
figures beside their baselines."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import bench
from kismet_tx.hotpath import MODULES, compiled_modules


class _Tee:
    """Standard output, copied to a report file."""

    def __init__(self, *streams: TextIO) -> None:
        self._streams = streams

    def write(self, text: str) -> int:
        for stream in self._streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self._streams:
            stream.flush()


def _header() -> str:
    # make bench runs in a compiled copy of the tree, which names the commit it was made from.
    commit = os.environ.get("BENCH_COMMIT") or subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
        cwd=Path(bench.__file__).parent).stdout.strip()
    compiled = len(compiled_modules())
    return (f"# make bench, {time.strftime('%Y-%m-%d %H:%M:%S')}, commit {commit or '?'}, "
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
            f"hot path {compiled} of {len(MODULES)} modules compiled\n\n")


def main(argv: list[str]) -> int:
    """Run ``bench/bench_*.py`` modules (or those named on the command line);
    ``--report FILE`` also writes what they print to FILE. ``--in-process NAME``
    runs one module here (what each module's own interpreter is started with)."""
    if len(argv) == 2 and argv[0] == "--in-process":
        _run_here(argv[1])
        return 0
    report = None
    if len(argv) >= 2 and argv[0] == "--report":
        report, argv = Path(argv[1]), argv[2:]
    if report is not None:
        with report.open("w") as copy:
            copy.write(_header())
            sys.stdout = _Tee(sys.__stdout__, copy)  # type: ignore[assignment]
            try:
                return _run(argv)
            finally:
                sys.stdout = sys.__stdout__
    return _run(argv)


def _run(argv: list[str]) -> int:
    """Each module in a fresh interpreter, one after another: what one leaves in its
    process (a heap for the collector to walk, threads) never weighs on another's figures."""
    wanted = set(argv)
    names = sorted(
        info.name for info in pkgutil.iter_modules([str(Path(bench.__file__).parent)])
        if info.name.startswith("bench_") and (not wanted or info.name in wanted)
    )
    failed = 0
    for name in names:
        child = subprocess.Popen([sys.executable, "-m", "bench", "--in-process", name],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for line in child.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
        if child.wait() != 0:
            print(f"   {name} failed (exit status {child.returncode})\n", flush=True)
            failed += 1
    return 1 if failed else 0


def _run_here(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    print(f"== {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
    started = time.perf_counter()
    module.run()
    print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
