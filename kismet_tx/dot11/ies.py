"""Tagged information elements (IEs) of management frames, parsed lazily.

:class:`IESet` wraps the IE bytes of one frame.  Nothing is parsed until an
accessor is used; the first access indexes tag -> (offset, length) once and
every typed accessor caches its result.  :func:`ies_for` returns a shared
IESet per distinct IE byte string from a bounded cache, so identical beacons
are parsed once (as Kismet does with its IE checksum).

Accessors never raise: a missing IE gives ``None``; an IE that is present but
malformed gives ``None`` and is listed in :attr:`IESet.errors`.  The ``parse_*``
functions here raise :class:`MalformedFrame`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Final, TypeVar, cast

from . import crypt
from .elements import (
    TIM,
    Country,
    HTCapabilities,
    HTOperation,
    VHTCapabilities,
    VHTOperation,
    parse_country,
    parse_ht_capabilities,
    parse_ht_operation,
    parse_rates,
    parse_tim,
    parse_vht_capabilities,
    parse_vht_operation,
)
from .errors import MalformedFrame
from .rsn import SecurityInfo, parse_rsn, parse_wpa
from .text import munge_to_printable
from .vendor import WMMInfo, WPSInfo, parse_owe_transition, parse_wmm, parse_wps

__all__ = ["IESet", "ies_for", "clear_ie_cache"]

IE_SSID: Final = 0
IE_RATES: Final = 1
IE_DS: Final = 3
IE_TIM: Final = 5
IE_COUNTRY: Final = 7
IE_HT_CAP: Final = 45
IE_RSN: Final = 48
IE_EXT_RATES: Final = 50
IE_HT_OP: Final = 61
IE_EXT_CAP: Final = 127
IE_VHT_CAP: Final = 191
IE_VHT_OP: Final = 192
IE_VENDOR: Final = 221


class _Missing(enum.Enum):
    """Marks a cache slot not computed yet (``None`` is a valid result)."""

    MISSING = 0


_MISSING: Final = _Missing.MISSING
_T = TypeVar("_T")

OUI_MS: Final = b"\x00\x50\xf2"
OUI_WFA: Final = b"\x50\x6f\x9a"


class IESet:
    """The tagged IEs of one frame, indexed on first use; results are cached.

    ``index`` maps tag -> ``[(offset, length), ...]``; ``truncated`` is set
    when the last tag runs past the data.  Raw bodies: :meth:`get`,
    :meth:`get_all`, :meth:`vendor`.  Typed accessors: ``ssid``, ``ssid_str``,
    ``ssid_cloaked``, ``rates``, ``max_rate``, ``ds_channel``, ``tim``,
    ``country``, ``ht_cap``, ``ht_op``, ``vht_cap``, ``vht_op``, ``ht_mode``,
    ``channel``, ``rsn``, ``wpa``, ``wps``, ``wmm``, ``ext_caps``,
    ``owe_transition``, and :meth:`crypt_set` / :meth:`crypt_string`.
    """

    __slots__ = (
        "raw",
        "_tags",
        "_by_tag",
        "_truncated",
        "_cache",
        "errors",
        "_ssid",
        "_chan",
        "_cs",
    )

    def __init__(self, raw: bytes | bytearray | memoryview) -> None:
        self.raw = raw if isinstance(raw, bytes) else bytes(raw)
        self._tags: list[tuple[int, int, int]] | None = None
        self._by_tag: dict[int, list[tuple[int, int]]] = {}
        self._truncated = False
        self._cache: dict[str, object] = {}
        self.errors: dict[str, str] = {}
        self._ssid: bytes | None | _Missing = _MISSING
        self._chan: int | None | _Missing = _MISSING
        self._cs: list[int | None] = [None, None]

    def _index(self) -> list[tuple[int, int, int]]:
        tags: list[tuple[int, int, int]] = []
        by_tag = self._by_tag
        raw = self.raw
        n = len(raw)
        off = 0
        while off + 2 <= n:
            tag = raw[off]
            ln = raw[off + 1]
            if off + 2 + ln > n:
                self._truncated = True
                break
            tags.append((tag, off + 2, ln))
            hit = by_tag.get(tag)
            if hit is None:
                by_tag[tag] = [(off + 2, ln)]
            else:
                hit.append((off + 2, ln))
            off += 2 + ln
        if off < n and not self._truncated:
            self._truncated = True
        self._tags = tags
        return tags

    @property
    def tags(self) -> list[tuple[int, int, int]]:
        """Every complete IE as ``(tag, body offset, body length)``, in order."""
        t = self._tags
        return t if t is not None else self._index()

    @property
    def index(self) -> dict[int, list[tuple[int, int]]]:
        """Tag number -> ``[(body offset, body length), ...]`` in frame order."""
        if self._tags is None:
            self._index()
        return self._by_tag

    @property
    def truncated(self) -> bool:
        """The IE list ends with a partial tag."""
        if self._tags is None:
            self._index()
        return self._truncated

    @property
    def tag_numbers(self) -> list[int]:
        """Tag numbers in frame order."""
        return [t for t, _o, _l in self.tags]

    def __contains__(self, tag: int) -> bool:
        if self._tags is None:
            self._index()
        return tag in self._by_tag

    def get(self, tag: int) -> bytes | None:
        """Body of the first IE with this tag, or ``None``."""
        if self._tags is None:
            self._index()
        hit = self._by_tag.get(tag)
        if hit is None:
            return None
        off, ln = hit[0]
        return self.raw[off : off + ln]

    def get_all(self, tag: int) -> list[bytes]:
        """Bodies of every IE with this tag."""
        raw = self.raw
        return [raw[o : o + ln] for o, ln in self.index.get(tag, ())]

    def vendor(self, oui: bytes, vtype: int | None = None) -> list[bytes]:
        """Vendor IE bodies for ``oui`` (and ``vtype``), with OUI and type stripped."""
        out = []
        raw = self.raw
        for o, ln in self.index.get(IE_VENDOR, ()):
            if ln >= 4 and raw[o : o + 3] == oui and (vtype is None or raw[o + 3] == vtype):
                out.append(raw[o + 4 : o + ln])
        return out

    def _typed(self, key: str, fn: Callable[[], _T]) -> _T | None:
        # The cache holds one result type per key; ``fn`` is always that key's parser.
        c = self._cache
        v = c.get(key, _MISSING)
        if v is _MISSING:
            try:
                v = fn()
            except MalformedFrame as e:
                self.errors[key] = str(e)
                v = None
            c[key] = v
        return cast("_T | None", v)

    def memo(self, key: str, derive: Callable[[IESet], _T]) -> _T:
        """``derive(self)``, computed once per shared set (a fact of these bytes only)."""
        c = self._cache
        v = c.get(key, _MISSING)
        if v is _MISSING:
            v = c[key] = derive(self)
        return cast(_T, v)

    def _tag_parse(self, key: str, tag: int, parser: Callable[[bytes], _T]) -> _T | None:
        def run() -> _T | None:
            body = self.get(tag)
            return None if body is None else parser(body)

        return self._typed(key, run)

    @property
    def ssid(self) -> bytes | None:
        """Raw SSID bytes; ``None`` when there is no SSID IE."""
        v = self._ssid
        if v is _MISSING:
            v = self._ssid = self.get(IE_SSID)
        return v

    @property
    def ssid_str(self) -> str:
        """SSID munged to printable text, Kismet style (``""`` when absent or all NUL)."""
        return self.memo("ssid_str", _ssid_text)

    @property
    def ssid_cloaked(self) -> bool:
        """SSID absent, empty, or all NUL bytes (a hidden network)."""
        s = self.get(IE_SSID)
        return not s or s.count(0) == len(s)

    @property
    def rates(self) -> list[float]:
        """Supported plus extended rates in Mbit/s."""
        return self.memo(
            "rates",
            lambda ies: parse_rates((ies.get(IE_RATES) or b"") + (ies.get(IE_EXT_RATES) or b"")),
        )

    @property
    def basic_rates(self) -> list[float]:
        """Rates flagged basic (mandatory)."""
        body = (self.get(IE_RATES) or b"") + (self.get(IE_EXT_RATES) or b"")
        return [r for b, r in zip(body, parse_rates(body), strict=False) if b & 0x80]

    @property
    def max_rate(self) -> float | None:
        """Highest legacy rate in Mbit/s."""
        r = self.rates
        return max(r) if r else None

    @property
    def ds_channel(self) -> int | None:
        """DS parameter set current channel."""
        body = self.get(IE_DS)
        return body[0] if body else None

    @property
    def tim(self) -> TIM | None:
        """Traffic indication map."""
        return self._tag_parse("tim", IE_TIM, parse_tim)

    @property
    def country(self) -> Country | None:
        """802.11d country element."""
        return self._tag_parse("country", IE_COUNTRY, parse_country)

    @property
    def country_code(self) -> str | None:
        """802.11d country code (2 printable characters)."""
        c = self.country
        return None if c is None else c.code

    @property
    def ht_cap(self) -> HTCapabilities | None:
        """HT capabilities."""
        return self._tag_parse("ht_cap", IE_HT_CAP, parse_ht_capabilities)

    @property
    def ht_op(self) -> HTOperation | None:
        """HT operation."""
        return self._tag_parse("ht_op", IE_HT_OP, parse_ht_operation)

    @property
    def vht_cap(self) -> VHTCapabilities | None:
        """VHT capabilities."""
        return self._tag_parse("vht_cap", IE_VHT_CAP, parse_vht_capabilities)

    @property
    def vht_op(self) -> VHTOperation | None:
        """VHT operation."""
        return self._tag_parse("vht_op", IE_VHT_OP, parse_vht_operation)

    @property
    def ht_mode(self) -> str | None:
        """Channel width mode: ``VHT80``/``VHT160``/``VHT80+80`` else ``HT20``/``HT40±``."""
        vht = self.vht_op
        if vht is not None and vht.vht_mode is not None:
            return vht.vht_mode
        ht = self.ht_op
        return None if ht is None else ht.ht_mode

    @property
    def channel(self) -> int | None:
        """Advertised channel: DS parameter set, else the HT operation primary channel."""
        ch = self._chan
        if ch is _MISSING:
            ch = self.ds_channel
            if ch is None:
                ht = self.ht_op
                ch = None if ht is None else ht.primary_channel
            self._chan = ch
        return ch

    @property
    def ext_caps(self) -> bytes | None:
        """Extended capabilities bytes (IE 127)."""
        return self.get(IE_EXT_CAP)

    def ext_cap_bit(self, bit: int) -> bool:
        """Test one extended-capabilities bit."""
        caps = self.get(IE_EXT_CAP)
        return bool(caps and bit >> 3 < len(caps) and caps[bit >> 3] & (1 << (bit & 7)))

    @property
    def rsn(self) -> SecurityInfo | None:
        """RSN element (WPA2/WPA3)."""
        return self._tag_parse("rsn", IE_RSN, parse_rsn)

    @property
    def wpa(self) -> SecurityInfo | None:
        """WPA (v1) vendor element."""

        def run() -> SecurityInfo | None:
            bodies = self.vendor(OUI_MS, 1)
            return parse_wpa(bodies[0]) if bodies else None

        return self._typed("wpa", run)

    @property
    def wps(self) -> WPSInfo | None:
        """WPS attributes (fragmented WPS IEs are joined)."""

        def run() -> WPSInfo | None:
            bodies = self.vendor(OUI_MS, 4)
            return parse_wps(b"".join(bodies)) if bodies else None

        return self._typed("wps", run)

    @property
    def wmm(self) -> WMMInfo | None:
        """WMM information/parameter element."""

        def run() -> WMMInfo | None:
            bodies = self.vendor(OUI_MS, 2)
            return parse_wmm(bodies[0]) if bodies else None

        return self._typed("wmm", run)

    @property
    def owe_transition(self) -> tuple[bytes, bytes] | None:
        """OWE transition element as ``(bssid, ssid)``."""

        def run() -> tuple[bytes, bytes] | None:
            bodies = self.vendor(OUI_WFA, 0x1C)
            return parse_owe_transition(bodies[0]) if bodies else None

        return self._typed("owe", run)

    def crypt_set(self, privacy: bool) -> int:
        """Kismet ``dot11_crypt_*`` bitset from these IEs and the privacy bit."""
        i = 1 if privacy else 0
        cs = self._cs[i]
        if cs is None:
            cs = self._cs[i] = crypt.crypt_set(bool(privacy), self.rsn, self.wpa)
        return cs

    def crypt_string(self, privacy: bool) -> str:
        """Kismet's crypt string, e.g. ``"WPA2 WPA2-PSK AES-CCMP"`` or ``"Open"``."""
        return crypt.crypt_to_string(self.crypt_set(privacy))

    @property
    def corrupt(self) -> bool:
        """Truncated tag list, or a present security/HT/country element that is malformed."""
        for acc in ("rsn", "wpa", "ht_op", "country", "tim"):
            getattr(self, acc)
        return self.truncated or bool(self.errors)

    def __repr__(self) -> str:
        return f"IESet(tags={self.tag_numbers}, truncated={self.truncated})"


_CACHE: Final[dict[bytes, IESet]] = {}
_CACHE_MAX = 4096


def _ssid_text(ies: IESet) -> str:
    """:attr:`IESet.ssid_str`, worked out (a module function: no closure per read)."""
    raw = ies.ssid
    return "" if not raw or raw.count(0) == len(raw) else munge_to_printable(raw)


def ies_for(raw: bytes | bytearray | memoryview) -> IESet:
    """The shared :class:`IESet` for these IE bytes (bounded cache, oldest evicted)."""
    key = raw if type(raw) is bytes else bytes(raw)
    s = _CACHE.get(key)
    if s is None:
        if len(_CACHE) >= _CACHE_MAX:
            del _CACHE[next(iter(_CACHE))]
        s = _CACHE[key] = IESet(key)
    return s


def clear_ie_cache() -> None:
    """Empty the shared IE cache."""
    _CACHE.clear()
