#!/usr/bin/env python3
"""Build kismet_tx/data/manuf.gz from Wireshark's ``manuf`` file (package libwireshark-data).

Usage: tools/make_manuf.py [/usr/share/wireshark/manuf] > kismet_tx/data/manuf.gz
Keeps, per line, ``PREFIX[/BITS]<TAB>LONG NAME`` (the long name, or the short one when
no long name is given). Comments and blank lines are dropped.
"""

import gzip
import sys


def main(path: str) -> None:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].rstrip()
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            name = parts[2].strip() if len(parts) > 2 and parts[2].strip() else parts[1].strip()
            rows.append(f"{parts[0].strip()}\t{name}\n")
    sys.stdout.buffer.write(gzip.compress("".join(rows).encode("utf-8"), mtime=0))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wireshark/manuf")
