"""Property tests: every decoder returns a result or raises MalformedFrame, nothing else."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kismet_tx.dot11 import (
    IESet,
    MalformedFrame,
    decode,
    decode_frame,
    decode_link,
    decode_packet,
    parse_eapol,
    parse_fixed,
    parse_llc,
    parse_rsn,
    parse_wpa,
)
from kismet_tx.dot11.elements import (
    parse_country,
    parse_ht_capabilities,
    parse_ht_operation,
    parse_tim,
    parse_vht_capabilities,
    parse_vht_operation,
)
from kismet_tx.dot11.linklayer import decode_avs, decode_ppi, decode_prism
from kismet_tx.dot11.peek import beacon_fixed
from kismet_tx.dot11.radiotap import decode_radiotap
from kismet_tx.dot11.vendor import parse_owe_transition, parse_wmm, parse_wps

from .builders import beacon_body, mgmt, radiotap, rt_basic

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
blobs = st.binary(max_size=400)
DLTS = st.sampled_from([105, 119, 127, 163, 192, 1, 0])


def _ok_or_malformed(fn, *args) -> None:
    try:
        fn(*args)
    except MalformedFrame:
        pass


def _touch_packet(p) -> None:
    """Read every lazily decoded attribute; none may raise."""
    for name in ("radio", "fcs_ok", "bad_fcs", "fixed", "ies", "llc", "is_eapol", "eapol",
                 "ssid", "privacy", "capability", "beacon_interval", "reason_code",
                 "advertised_channel", "crypt_set", "crypt_string", "signal_dbm", "noise_dbm",
                 "freq_mhz", "radio_channel", "crypt_guess", "key_id", "qos", "tid",
                 "ht_control", "addr4", "seq", "frag", "duration", "body",
                 "transmitter"):  # fmt: skip
        getattr(p, name)
    r = p.radio
    if r is not None:
        r.as_dict()
        for name in ("chain_signals", "mcs_bw", "vht_bw_mhz", "vht_mcs", "vht_nss", "rate_mbps"):
            getattr(r, name)
    if p.ies is not None:
        _touch_ies(p.ies)
    repr(p)


def _touch_ies(s: IESet) -> None:
    for name in ("tags", "truncated", "ssid", "ssid_str", "ssid_cloaked", "rates",
                 "basic_rates", "max_rate", "ds_channel", "tim", "country", "country_code",
                 "ht_cap", "ht_op", "vht_cap", "vht_op", "ht_mode", "channel", "ext_caps",
                 "rsn", "wpa", "wps", "wmm", "owe_transition", "corrupt"):  # fmt: skip
        getattr(s, name)
    s.crypt_string(True)
    s.crypt_string(False)
    s.ext_cap_bit(9)
    if s.rsn is not None:
        assert repr(s.rsn) and s.rsn.cipher_names is not None and s.rsn.akm_names is not None


@FAST
@given(dlt=DLTS, blob=blobs)
def test_decode_packet_any_bytes(dlt, blob):
    try:
        p = decode_packet(dlt, blob)
    except MalformedFrame:
        return
    _touch_packet(p)


@FAST
@given(flags=st.integers(0, 255), frame=blobs)
def test_decode_packet_radiotap_prefixed(flags, frame):
    try:
        p = decode_packet(127, rt_basic(flags=flags) + frame)
    except MalformedFrame:
        return
    _touch_packet(p)


@FAST
@given(
    fc0=st.integers(0, 255).map(lambda b: b & 0xFC),
    fc1=st.integers(0, 255),
    body=blobs,
)
def test_decode_packet_valid_version_headers(fc0, fc1, body):
    try:
        p = decode_packet(105, bytes([fc0, fc1]) + body)
    except MalformedFrame:
        return
    _touch_packet(p)


@FAST
@given(subtype=st.sampled_from([0, 1, 2, 3, 4, 5, 8]), ies=st.lists(
    st.tuples(st.sampled_from([0, 1, 3, 5, 7, 45, 48, 50, 61, 127, 191, 192, 221]), blobs.map(
        lambda b: b[:255])), max_size=8))  # fmt: skip
def test_decode_packet_structured_mgmt(subtype, ies):
    raw_ies = b"".join(bytes([t, len(b)]) + b for t, b in ies)
    fixed = b"\x11" * 12
    frame = bytes([subtype << 4, 0]) + b"\x00" * 22 + fixed + raw_ies
    try:
        p = decode_packet(105, frame)
    except MalformedFrame:
        return
    _touch_packet(p)


@FAST
@given(blob=blobs)
def test_link_layer_decoders(blob):
    for fn in (decode_radiotap, decode_ppi, decode_prism, decode_avs):
        _ok_or_malformed(fn, blob)
    for dlt in (105, 119, 127, 163, 192, 7):
        _ok_or_malformed(decode_link, dlt, blob)


@FAST
@given(words=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4), tail=blobs)
def test_radiotap_random_bitmaps(words, tail):
    words = [w | 0x80000000 for w in words[:-1]] + [words[-1] & 0x7FFFFFFF]
    hdr_len = 4 + 4 * len(words) + len(tail)
    blob = struct.pack("<BBH", 0, 0, hdr_len) + b"".join(struct.pack("<I", w) for w in words)
    try:
        radio, off = decode_radiotap(blob + tail)
    except MalformedFrame:
        return
    assert off == hdr_len
    assert isinstance(radio.as_dict(), dict)
    assert isinstance(radio.chain_signals, list)


@FAST
@given(blob=blobs, start=st.integers(0, 40))
def test_frame_and_fixed_decoders(blob, start):
    _ok_or_malformed(decode_frame, blob)
    _ok_or_malformed(decode_frame, blob, start)
    for sub in range(16):
        _ok_or_malformed(parse_fixed, sub, blob)


@FAST
@given(blob=blobs)
def test_ie_parsers(blob):
    _touch_ies(IESet(blob))
    for fn in (parse_rsn, parse_wpa, parse_tim, parse_country, parse_ht_capabilities,
               parse_ht_operation, parse_vht_capabilities, parse_vht_operation, parse_wmm,
               parse_wps, parse_owe_transition):  # fmt: skip
        _ok_or_malformed(fn, blob)


@FAST
@given(blob=blobs, off=st.integers(0, 20))
def test_llc_and_eapol_parsers(blob, off):
    _ok_or_malformed(parse_llc, blob)
    _ok_or_malformed(parse_llc, blob, off)
    for args in ((blob,), (blob, off)):
        try:
            e = parse_eapol(*args)
        except MalformedFrame:
            continue
        assert e.message in (0, 1, 2, 3, 4) and repr(e)
        assert isinstance(e.mic_present, bool) and isinstance(e.nonce_zero, bool)


@FAST
@given(body=st.binary(min_size=95, max_size=300))
def test_eapol_key_structured(body):
    raw = struct.pack(">BBH", 2, 3, len(body)) + body
    try:
        e = parse_eapol(raw)
    except MalformedFrame:
        return
    assert e.is_key and e.message in (0, 1, 2, 3, 4)


@FAST
@given(st.binary(min_size=24, max_size=60), st.sampled_from([0, 2]))
def test_mac_header_fields_match_their_struct_layout(frame: bytes, ftype: int) -> None:
    """The decoder reads the 24-byte MAC header by index and slice; it agrees with
    the header's struct layout for any management or data frame."""
    frame = bytes([ftype << 2 | (frame[0] & 0xF0)]) + frame[1:]
    try:
        f = decode_packet(105, frame)
    except MalformedFrame:
        return
    flags, a1, a2, a3, seqctl = struct.unpack_from("<xB2x6s6s6sH", frame)
    assert (f.flags, f.addr1, f.addr2, f.addr3, f.seqctl) == (flags, a1, a2, a3, seqctl)


@FAST
@given(st.integers(0, 2**64 - 1), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_beacon_fixed_reads_the_fixed_fields_of_any_beacon(timestamp: int, interval: int,
                                                           capability: int) -> None:
    """``beacon_fixed`` (by index, no struct call) gives the values the frame carries,
    64-bit timestamps included."""
    frame = mgmt(8, beacon_body(b"\x00\x04test", capability, interval, timestamp))
    assert beacon_fixed(decode_packet(105, frame)) == (timestamp, interval, capability)


_LEVEL_FIELDS = {  # bit -> (alignment, value strategy, packing)
    0: (8, st.integers(0, 2**64 - 1), "<Q"),
    1: (1, st.integers(0, 0xFF).map(lambda f: f & ~0x50), "<B"),  # no FCS, not bad
    2: (1, st.integers(0, 0xFF), "<B"),
    3: (2, st.integers(0, 0xFFFF), "<I"),  # MHz, then the channel flags (0)
    5: (1, st.integers(-128, 127), "<b"),
    6: (1, st.integers(-128, 127), "<b"),
    11: (1, st.integers(0, 0xFF), "<B"),
}


@FAST
@given(st.lists(st.sampled_from(sorted(_LEVEL_FIELDS)), unique=True).flatmap(
    lambda bits: st.tuples(*(st.tuples(st.just(b), _LEVEL_FIELDS[b][1]) for b in sorted(bits)))))
def test_levels_read_by_offset_match_the_unpacked_header(
        fields: tuple[tuple[int, int], ...]) -> None:
    """A cached radiotap layout leaves the header packed: ``radio_levels`` reads the
    frequency, signal and noise by offset, and gives what unpacking it gives."""
    header = radiotap([(bit, struct.pack(_LEVEL_FIELDS[bit][2], value), _LEVEL_FIELDS[bit][0])
                       for bit, value in fields])
    capture = header + mgmt(4, b"\x00\x00")
    decode_packet(127, capture)  # the first of a layout compiles and caches it
    lazy = decode_packet(127, capture).radio_levels()
    unpacked = decode_packet(127, capture)
    radio = unpacked.radio
    expected = (None, None, None) if radio is None else (
        radio.freq_mhz, radio.signal_dbm, radio.noise_dbm)
    assert lazy == expected
    values = dict(fields)
    assert lazy == (values.get(3), values.get(5), values.get(6))


# One-byte fields only: headers with as many fields have the same length, and
# differ only in their present word.
_HEADER = st.lists(st.sampled_from([1, 2, 5, 6, 11]), unique=True).flatmap(
    lambda bits: st.tuples(*(st.tuples(st.just(b), _LEVEL_FIELDS[b][1]) for b in sorted(bits))))


@FAST
@given(st.lists(st.tuples(_HEADER, st.integers(0, 255)), min_size=1, max_size=4),
       st.lists(st.integers(0, 3), min_size=1, max_size=12))
def test_a_frame_decodes_the_same_whatever_frame_came_before(
        headers: list[tuple[tuple[tuple[int, int], ...], int]], order: list[int]) -> None:
    """The decoder remembers the previous frame's radiotap layout: frames of mixed
    layouts (the pad byte too), in any order, decode as each does on its own."""
    captures = []
    for fields, pad in headers:
        header = bytearray(radiotap([(bit, struct.pack(_LEVEL_FIELDS[bit][2], value),
                                      _LEVEL_FIELDS[bit][0]) for bit, value in fields]))
        header[1] = pad
        captures.append(bytes(header) + mgmt(4, b"\x00\x00"))

    def seen(capture: bytes) -> tuple[object, ...]:
        f = decode_packet(127, capture)
        radio = f.radio
        return (f.radio_levels(), f.flags, f.addr2,
                None if radio is None else (radio.freq_mhz, radio.signal_dbm, radio.flags))

    alone = []
    for capture in captures:
        decode._LAST_LAYOUT.key = -1
        alone.append(seen(capture))
    for index in order:
        index %= len(captures)
        assert seen(captures[index]) == alone[index]
