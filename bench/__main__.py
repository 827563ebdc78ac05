"""``make bench``: run every benchmark module and print figures beside their baselines."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

import bench


def main(argv: list[str]) -> int:
    """Run ``bench/bench_*.py`` modules (or those named on the command line)."""
    wanted = set(argv)
    names = sorted(
        info.name for info in pkgutil.iter_modules([str(Path(bench.__file__).parent)])
        if info.name.startswith("bench_") and (not wanted or info.name in wanted)
    )
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
        started = time.perf_counter()
        module.run()
        print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
