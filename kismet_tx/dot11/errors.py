"""The one error type of the 802.11 decoding layer.

Every decoder in :mod:`kismet_tx.dot11`, given any byte string, either returns
a result or raises :class:`MalformedFrame` (never ``IndexError``,
``struct.error`` or ``UnicodeError``).
"""

from __future__ import annotations


class MalformedFrame(ValueError):
    """The bytes cannot be decoded as the frame or header they claim to be."""


class UnsupportedLinkType(MalformedFrame):
    """The capture link type (DLT) has no decoder here."""
