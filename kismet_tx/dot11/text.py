"""Kismet-compatible rendering of untrusted byte strings (SSIDs, WPS names)."""

from __future__ import annotations

from typing import Final

__all__ = ["munge_to_printable"]

_ESCAPES: Final = {
    0x22: '\\"',
    0x5C: "\\\\",
    0x08: "\\b",
    0x0C: "\\f",
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
}
_ASCII_TABLE: Final = tuple(
    _ESCAPES.get(c) or (chr(c) if 32 <= c <= 126 else f"\\x{c:02X}") for c in range(256)
)
_UTF8_CTRL: Final = {c: _ESCAPES.get(c) or f"\\u{c:04x}" for c in range(32)}
_UTF8_CTRL[0x22] = '\\"'
_UTF8_CTRL[0x5C] = "\\\\"


def munge_to_printable(raw: bytes) -> str:
    """Printable text the way Kismet's ``munge_to_printable`` makes it.

    Valid UTF-8 is kept, with quotes, backslashes and control characters
    escaped JSON-style (``\\"``, ``\\\\``, ``\\n``, ``\\u0000``); anything else is
    treated as bytes: printable ASCII kept, the rest written as ``\\xHH``.
    """
    if not raw:
        return ""
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return "".join([_ASCII_TABLE[b] for b in raw])
    if text.isprintable() and '"' not in text and "\\" not in text:
        return text
    return text.translate(_UTF8_CTRL)
