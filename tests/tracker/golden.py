"""Every device record of every capture in tests/data, as JSON: the golden copies.

``python -m tests.tracker.golden`` rewrites ``tests/data/records/<capture>.json.gz``
from the current tracker; ``test_golden_records`` compares against them, so a
change to any served device field on a real capture is a deliberate one, seen
in the diff of those files (``zcat`` them to read).
"""

from __future__ import annotations

import gzip
from typing import Any

import orjson

from tests.tracker.replay import DATA, make_rig

RECORDS = DATA / "records"
#: A fixed server UUID, so records carry no per-run value.
SERVER_UUID = "00000000-0000-4000-8000-000000000000"
CAPTURES = sorted(p.name for p in DATA.iterdir() if p.suffix in (".cap", ".pcap", ".pcapng"))


def records_of(capture: str) -> dict[str, Any]:
    """Every device record (by key, as plain JSON values) after replaying ``capture``."""
    rig = make_rig(server_uuid=SERVER_UUID)
    rig.replay(capture)
    tracking = rig.tracking
    found = {dev.key: tracking.record(dev).to_dict()
             for dev in tracking.device_tracker.devices()}
    return orjson.loads(orjson.dumps(found, option=orjson.OPT_NON_STR_KEYS))


def encode(records: dict[str, Any]) -> bytes:
    """Sorted, indented JSON (readable diffs once unzipped)."""
    return orjson.dumps(records, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def golden_path(capture: str) -> Any:
    return RECORDS / f"{capture}.json.gz"


def main() -> None:
    RECORDS.mkdir(exist_ok=True)
    for capture in CAPTURES:
        golden_path(capture).write_bytes(gzip.compress(encode(records_of(capture)), mtime=0))
        print(capture)


if __name__ == "__main__":
    main()
