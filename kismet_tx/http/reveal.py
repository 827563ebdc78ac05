"""What a caller without a login does not see: local paths and the OS user (issue 16).

Messages, datasource and GPS definitions, stream and log records and alert
texts may name files on the server (a capture, a log, a serial device, the
password file). An area whose records can carry such text sets
``scrub_for_anonymous = True``, and the route wrapper hands what its routes
return to an anonymous caller through :func:`hide_local`, which replaces
every absolute (or ``~/``) path in every string with :data:`HIDDEN`. A
logged-in caller sees everything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: What a hidden path reads as.
HIDDEN = "[hidden]"
#: An absolute or home-relative path of two or more components (``/dev/ttyUSB0``,
#: ``~/.kismet/kismet_httpd.conf``), not a URL's path or a rate such as ``10/min``.
_PATH = re.compile(r"(?<![\w.:/~-])~?/(?:[^\s/'\"<>(),;]+/)+[^\s/'\"<>(),;]*")


def hide_text(text: str) -> str:
    """``text`` with every local path replaced."""
    return _PATH.sub(HIDDEN, text) if "/" in text else text


def hide_local(value: Any) -> Any:
    """``value`` (records, lists, text) with every local path in its strings replaced."""
    if isinstance(value, str):
        return hide_text(value)
    if isinstance(value, Mapping):
        return {key: hide_local(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [hide_local(item) for item in value]
    return value
