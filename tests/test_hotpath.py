"""The compiled hot path and the pure-Python one are the same program.

``make test`` runs the whole suite twice: on the tree, and on a copy of it with
the modules of ``kismet_tx/hotpath.py`` compiled in place by mypyc (what
``pip install .`` installs). These tests check that each pass runs the path it
says it runs, and that both paths give identical device records on every
capture in tests/data.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from kismet_tx.hotpath import MODULES, compiled_modules, is_compiled

HERE = Path(__file__).resolve().parents[1]
EXPECT_COMPILED = os.environ.get("KISMET_TX_EXPECT_COMPILED") == "1"

# Runs in a tree given as the working directory: which modules are compiled
# there, and every device record of every capture, as JSON per capture.
_DUMP = """
import sys
import orjson
from kismet_tx.hotpath import compiled_modules
from tests.tracker.golden import CAPTURES, encode, records_of
out = {"compiled": compiled_modules(),
       "records": {c: encode(records_of(c)).decode() for c in CAPTURES}}
sys.stdout.buffer.write(orjson.dumps(out))
"""


def test_this_pass_runs_the_path_it_names() -> None:
    expected = list(MODULES) if EXPECT_COMPILED else []
    assert compiled_modules() == expected


def test_the_hot_path_names_real_modules_only() -> None:
    # A renamed or removed module must leave the list, or the build would miss it.
    assert len(set(MODULES)) == len(MODULES)
    for module in MODULES:
        is_compiled(module)  # imports it


def _trees() -> tuple[Path, Path]:
    pure = os.environ.get("KISMET_TX_PURE_TREE")
    compiled = os.environ.get("KISMET_TX_COMPILED_TREE")
    if EXPECT_COMPILED:
        if pure is None:
            pytest.skip("needs KISMET_TX_PURE_TREE, the pure tree `make test` names")
        return Path(pure), HERE
    if compiled is None:
        pytest.skip("needs the compiled copy of the tree that `make test` builds")
    return HERE, Path(compiled)


def _dump(tree: Path) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", _DUMP], cwd=tree, env=env,
                          capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result: dict[str, object] = orjson.loads(done.stdout)
    return result


def test_compiled_and_pure_paths_give_identical_device_records() -> None:
    pure_tree, compiled_tree = _trees()
    pure = _dump(pure_tree)
    compiled = _dump(compiled_tree)
    assert pure["compiled"] == []
    assert compiled["compiled"] == list(MODULES)
    pure_records = pure["records"]
    compiled_records = compiled["records"]
    assert isinstance(pure_records, dict) and isinstance(compiled_records, dict)
    assert sorted(compiled_records) == sorted(pure_records)
    assert len(pure_records) >= 10
    for capture, text in pure_records.items():
        assert compiled_records[capture] == text, capture
