"""Device records on every real capture stay what they were (tests/data/records).

The phy's inner loops are rewritten for speed from time to time; whatever the
path, a client must get the same device records. A deliberate change to a
served field regenerates the golden copies (``python -m tests.tracker.golden``).
"""

from __future__ import annotations

import gzip

import orjson
import pytest

from tests.tracker.golden import CAPTURES, golden_path, records_of


@pytest.mark.parametrize("capture", CAPTURES)
def test_device_records_equal_the_golden_copy(capture: str) -> None:
    golden = orjson.loads(gzip.decompress(golden_path(capture).read_bytes()))
    found = records_of(capture)
    assert sorted(found) == sorted(golden)
    for key, record in golden.items():
        assert found[key] == record, key
