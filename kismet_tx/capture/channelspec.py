"""Wi-Fi channel strings in Kismet's linuxwifi syntax.

``6``, ``6HT20``, ``6HT40+``, ``6HT40-``, ``36VHT80``, ``36VHT160``, ``6W5`` and
``6W10`` name a channel and its width; a bare number of 2400 or more is a
centre frequency in MHz (``5955`` is 6 GHz channel 1). Channels 1-14 are
2.4 GHz and 32-177 are 5 GHz.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kismet_tx.dot11.radio import freq_to_channel

_CHANNEL = re.compile(r"(\d{1,5})(HT20|HT40\+|HT40-|VHT80|VHT160|W5|W10)?", re.IGNORECASE)
_MODES = {m.upper(): m for m in ("HT20", "HT40+", "HT40-", "VHT80", "VHT160", "W5", "W10")}


class ChannelError(ValueError):
    """A channel string is not one this syntax knows."""


@dataclass(frozen=True, slots=True)
class WifiChannel:
    """A parsed channel: its canonical text, number, centre frequency and width mode."""

    text: str
    number: int
    freq_mhz: int
    mode: str = ""


def _frequency(number: int) -> int | None:
    if 1 <= number <= 13:
        return 2407 + 5 * number
    if number == 14:
        return 2484
    if 32 <= number <= 177:
        return 5000 + 5 * number
    return None


def parse_channel(text: object) -> WifiChannel:
    """Parse one channel string; raises :class:`ChannelError` with the reason."""
    if not isinstance(text, str):
        raise ChannelError(f"channel must be a string, got {type(text).__name__}")
    match = _CHANNEL.fullmatch(text.strip())
    if match is None:
        raise ChannelError(f"unknown channel {text!r}")
    value = int(match.group(1))
    mode = _MODES[match.group(2).upper()] if match.group(2) else ""
    if value >= 2400:
        number = freq_to_channel(value)
        if number is None:
            raise ChannelError(f"{value} MHz is not a Wi-Fi channel centre frequency")
        freq = value
    else:
        number = value
        found = _frequency(value)
        if found is None:
            raise ChannelError(f"unknown channel {text!r}")
        freq = found
    if mode.startswith("VHT") and freq < 5000:
        raise ChannelError(f"{mode} needs a 5 GHz channel, got {text!r}")
    return WifiChannel(f"{match.group(1)}{mode}", number, freq, mode)


def parse_channel_list(values: object) -> list[WifiChannel]:
    """Parse a list of channel strings (or one comma-separated string)."""
    if isinstance(values, str):
        items: list[object] = [v for v in values.split(",") if v.strip()]
    elif isinstance(values, list):
        items = list(values)
    else:
        raise ChannelError("channels must be a list of strings")
    if not items:
        raise ChannelError("the channel list is empty")
    return [parse_channel(item) for item in items]


def channel_text_for(freq_mhz: int) -> str:
    """The plain channel string for a centre frequency (``"6"``, ``"36"``, ``"5955"``)."""
    if freq_mhz >= 5950:
        return str(freq_mhz)
    number = freq_to_channel(freq_mhz)
    return str(number) if number is not None else str(freq_mhz)
