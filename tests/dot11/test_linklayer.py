"""Capture-header decoders: radiotap, PPI, Prism, AVS, raw 802.11."""

from __future__ import annotations

import struct

import pytest

from kismet_tx.dot11 import MalformedFrame, UnsupportedLinkType, decode_link
from kismet_tx.dot11.linklayer import decode_avs, decode_ppi, decode_prism
from kismet_tx.dot11.radio import RadioInfo, channel_to_freq, freq_to_channel
from kismet_tx.dot11.radiotap import decode_radiotap

from .builders import AP, ctrl, radiotap, rt_basic, with_fcs


def test_radiotap_basic_fields_and_offset():
    hdr = rt_basic(freq=2462, signal=-55, flags=0x10, rate=12)
    radio, off = decode_radiotap(hdr + b"payload")
    assert off == len(hdr)
    assert radio.freq_mhz == 2462
    assert radio.channel == 11
    assert radio.signal_dbm == -55
    assert radio.rate_500kbps == 12 and radio.rate_mbps == 6.0
    assert radio.flags == 0x10 and radio.fcs_present and not radio.bad_fcs
    assert radio.noise_dbm is None and radio.tsft is None and radio.antenna is None


def test_radiotap_alignment_tsft_and_noise_antenna():
    hdr = radiotap(
        [
            (0, struct.pack("<Q", 0x1122334455667788), 8),
            (1, b"\x40", 1),
            (3, struct.pack("<HH", 5180, 0x0140), 2),
            (5, b"\xc4", 1),
            (6, b"\xa1", 1),
            (11, b"\x02", 1),
            (14, b"\x00\x00", 2),
        ]
    )
    # TSFT must be 8-aligned: header is 8 bytes so it starts at 8.
    radio, off = decode_radiotap(hdr)
    assert off == len(hdr)
    assert radio.tsft == 0x1122334455667788
    assert radio.bad_fcs and not radio.fcs_present
    assert radio.freq_mhz == 5180 and radio.channel == 36 and radio.chan_flags == 0x0140
    assert radio.signal_dbm == -60 and radio.noise_dbm == -95 and radio.antenna == 2


def test_radiotap_mcs_ampdu_vht_timestamp():
    hdr = radiotap(
        [
            (1, b"\x00", 1),
            (19, bytes([0x07, 0x01, 7]), 1),
            (20, struct.pack("<IHBB", 99, 0, 0, 0), 4),
            (21, struct.pack("<HBB4sBBH", 0x44, 0x04, 4, bytes([0x92, 0, 0, 0]), 0, 0, 0), 2),
            (22, struct.pack("<QHBB", 777, 0, 0, 0), 8),
        ]
    )
    radio, _ = decode_radiotap(hdr)
    assert radio.mcs_index == 7 and radio.mcs_bw == 40
    assert radio.ampdu_ref == 99
    assert radio.vht_bw == 4 and radio.vht_bw_mhz == 80
    assert radio.vht_mcs == 9 and radio.vht_nss == 2
    assert radio.timestamp == 777


def test_radiotap_xchannel_stands_in_for_channel():
    hdr = radiotap([(18, struct.pack("<IHBB", 0x140, 5745, 149, 20), 4)])
    radio, _ = decode_radiotap(hdr)
    assert radio.freq_mhz == 5745 and radio.channel == 149 and radio.chan_flags == 0x140


def test_radiotap_unknown_bits_stop_parsing_but_keep_length():
    # Word 0: flags + channel + signal, ext; word 1 in the radiotap namespace has bits
    # 32+ set, which have no defined size: parsing stops, the header length still counts.
    hdr = radiotap(
        [(1, b"\x10", 1), (3, struct.pack("<HH", 2412, 0xA0), 2), (5, b"\xea", 1)],
        extra_words=(0x107701F7,),
        tail=b"\x99" * 30,
    )
    radio, off = decode_radiotap(hdr + b"frame")
    assert off == len(hdr)
    assert radio.freq_mhz == 2412 and radio.signal_dbm == -22 and radio.fcs_present


def test_radiotap_namespace_reset_gives_chain_signals():
    # Linux mac80211 layout: word0 (flags, channel, signal, RT-ns next + ext), word1
    # (signal, antenna, RT-ns next + ext), word2 (signal, antenna).
    w0 = (1 << 1) | (1 << 3) | (1 << 5) | (1 << 29) | (1 << 31)
    w1 = (1 << 5) | (1 << 11) | (1 << 29) | (1 << 31)
    w2 = (1 << 5) | (1 << 11)
    body = b"\x00" + b"\x00" + struct.pack("<HH", 2437, 0xA0) + b"\xd0"  # flags, pad, chan, sig
    body += b"\xce\x00"  # chain 0: signal -50, antenna 0
    body += b"\xd2\x01"  # chain 1: signal -46, antenna 1
    hdr = struct.pack("<BBH", 0, 0, 16 + len(body)) + struct.pack("<III", w0, w1, w2) + body
    radio, off = decode_radiotap(hdr)
    assert off == len(hdr)
    assert radio.signal_dbm == -48
    assert radio.chain_signals == [(0, -50), (1, -46)]


def test_radiotap_vendor_namespace_is_skipped():
    w0 = (1 << 1) | (1 << 30) | (1 << 31)  # flags, vendor ns next
    w1 = 0x5 | (1 << 29) | (1 << 31)  # vendor bits, back to radiotap ns
    w2 = 1 << 5  # dBm signal
    body = b"\x10"  # flags
    body += b"\x00"  # pad to 2 for the vendor namespace header
    body += b"\x00\x11\x22" + b"\x01" + struct.pack("<H", 5)  # OUI, subns, skip_length
    body += b"VVVVV"  # vendor data
    body += b"\xbf"  # signal -65
    hdr = struct.pack("<BBH", 0, 0, 16 + len(body)) + struct.pack("<III", w0, w1, w2) + body
    radio, off = decode_radiotap(hdr)
    assert off == len(hdr)
    assert radio.flags == 0x10 and radio.signal_dbm == -65


def test_radiotap_no_fields():
    hdr = struct.pack("<BBHI", 0, 0, 8, 0)
    radio, off = decode_radiotap(hdr)
    assert off == 8 and radio.flags is None and radio.channel is None
    assert radio.as_dict()["freq_mhz"] is None


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"\x00\x00\x08",
        struct.pack("<BBHI", 1, 0, 8, 0),  # version 1
        struct.pack("<BBHI", 0, 0, 40, 0),  # length past the data
        struct.pack("<BBHI", 0, 0, 4, 0),  # length below 8
        struct.pack("<BBHI", 0, 0, 8, 0x80000000),  # ext bit, no room for the next word
        struct.pack("<BBHI", 0, 0, 9, 1),  # TSFT does not fit
    ],
)
def test_radiotap_malformed(blob):
    with pytest.raises(MalformedFrame):
        decode_radiotap(blob)


def test_radiotap_cached_layout_is_reused_and_correct():
    a = rt_basic(freq=2412, signal=-30)
    b = rt_basic(freq=2472, signal=-80)
    assert decode_radiotap(a)[0].signal_dbm == -30
    assert decode_radiotap(b)[0].signal_dbm == -80
    assert decode_radiotap(bytearray(b))[0].channel == 13


def test_ppi_80211_common():
    common = struct.pack("<QHHHHBBbb", 42, 0x0005, 4, 2437, 0x00A0, 0, 0, -61, -92)
    hdr = struct.pack("<BBHI", 0, 0, 8 + 4 + 20, 105) + struct.pack("<HH", 2, 20) + common
    radio, off = decode_ppi(hdr + b"frame")
    assert off == len(hdr)
    assert radio.tsft == 42 and radio.rate_500kbps == 4
    assert radio.freq_mhz == 2437 and radio.channel == 6
    assert radio.signal_dbm == -61 and radio.noise_dbm == -92
    assert radio.fcs_present and radio.bad_fcs


def test_ppi_aligned_fields_and_missing_common():
    field = struct.pack("<HH", 30000, 3) + b"abc" + b"\x00"  # padded to 4
    hdr = struct.pack("<BBHI", 0, 1, 8 + len(field), 105) + field
    radio, off = decode_ppi(hdr)
    assert radio is None and off == len(hdr)


def test_ppi_errors():
    with pytest.raises(UnsupportedLinkType):
        decode_ppi(struct.pack("<BBHI", 0, 0, 8, 1))
    with pytest.raises(MalformedFrame):
        decode_ppi(struct.pack("<BBHI", 0, 0, 8 + 4, 105) + struct.pack("<HH", 2, 20))
    with pytest.raises(MalformedFrame):
        decode_ppi(b"\x00\x00")


def _prism(channel: int = 7, signal: int = 57, rate: int = 2, noise: int | None = None) -> bytes:
    items = [(0x00010044, 0, 4, 1), (0x00020044, 0, 4, 2), (0x00030044, 0, 4, channel),
             (0x00040044, 0, 4, 0), (0x00050044, 1, 4, 0), (0x00060044, 0, 4, signal),
             (0x00070044, 0 if noise is not None else 1, 4, noise or 0),
             (0x00080044, 0, 4, rate), (0x00090044, 0, 4, 0), (0x000A0044, 0, 4, 0)]  # fmt: skip
    out = struct.pack("<II16s", 0x44, 144, b"wlan0")
    for did, status, ln, value in items:
        out += struct.pack("<IHHi", did, status, ln, value)
    return out


def test_prism_header_and_fcs_detection():
    frame = ctrl(13, AP)
    radio, off = decode_prism(_prism() + with_fcs(frame))
    assert off == 144
    assert radio.channel == 7 and radio.header_channel == 7 and radio.freq_mhz == 2442
    assert radio.rate_500kbps == 2 and radio.signal_rssi == 57 and radio.signal_dbm is None
    assert radio.fcs_present
    radio, _ = decode_prism(_prism(signal=-70, noise=-95) + frame + b"\x00\x00\x00\x00")
    assert radio.signal_dbm == -70 and radio.noise_dbm == -95 and not radio.fcs_present


def test_prism_errors():
    with pytest.raises(MalformedFrame):
        decode_prism(b"\x44\x00\x00\x00")
    with pytest.raises(MalformedFrame):
        decode_prism(struct.pack("<II16s", 0x44, 500, b""))


def _avs(channel: int = 36, ssi_type: int = 2) -> bytes:
    return struct.pack(">IIQQIIIIIIiiII", 0x80211001, 64, 9, 8, 4, channel, 540, 1, 0,
                       ssi_type, -48, -97, 0, 0)  # fmt: skip


def test_avs_and_prism_handoff():
    frame = with_fcs(ctrl(13, AP))
    radio, off = decode_avs(_avs() + frame)
    assert off == 64
    assert radio.channel == 36 and radio.freq_mhz == 5180 and radio.rate_500kbps == 108
    assert radio.signal_dbm == -48 and radio.noise_dbm == -97 and radio.antenna == 1
    assert radio.tsft == 9 and radio.fcs_present
    # An AVS header inside DLT 119 is recognised.
    radio2, off2 = decode_link(119, _avs() + frame)
    assert off2 == 64 and radio2.channel == 36
    radio3, _ = decode_avs(_avs(ssi_type=1) + frame)
    assert radio3.signal_dbm is None and radio3.signal_rssi == -48


def test_avs_errors():
    with pytest.raises(MalformedFrame):
        decode_avs(b"\x80\x21\x10\x01")
    with pytest.raises(MalformedFrame):
        decode_avs(b"\x00" * 64)


def test_decode_link_dispatch():
    assert decode_link(105, b"anything") == (None, 0)
    radio, off = decode_link(127, rt_basic())
    assert off == len(rt_basic()) == 15 and radio.signal_dbm == -42
    with pytest.raises(UnsupportedLinkType):
        decode_link(1, b"\x00" * 40)
    assert issubclass(UnsupportedLinkType, MalformedFrame)


def test_frequency_channel_helpers():
    assert [freq_to_channel(f) for f in (2412, 2437, 2472, 2484)] == [1, 6, 13, 14]
    assert freq_to_channel(5180) == 36 and freq_to_channel(5825) == 165
    assert freq_to_channel(4920) == 184
    assert freq_to_channel(5955) == 1 and freq_to_channel(6115) == 33
    assert freq_to_channel(5935) == 2
    assert freq_to_channel(60480) == 2
    assert freq_to_channel(2413) is None and freq_to_channel(None) is None
    assert freq_to_channel(0) is None and freq_to_channel(51625) is None
    assert channel_to_freq(1) == 2412 and channel_to_freq(14) == 2484
    assert channel_to_freq(36) == 5180 and channel_to_freq(0) is None


def test_radioinfo_build_and_repr():
    r = RadioInfo.build(freq_mhz=2412, signal_dbm=-40, flags=0x30)
    assert r.channel == 1 and r.datapad and r.fcs_present
    assert "sig=-40" in repr(r)
    with pytest.raises(TypeError):
        RadioInfo.build(bogus=1)


def test_radiotap_vendor_namespace_errors_and_both_ns_bits():
    w0 = (1 << 1) | (1 << 30) | (1 << 31)
    w1 = 0x1
    # Vendor data (skip_length 50) runs past the header.
    body = b"\x10\x00" + b"\x00\x11\x22\x01" + struct.pack("<H", 50) + b"VV"
    hdr = struct.pack("<BBH", 0, 0, 12 + len(body)) + struct.pack("<II", w0, w1) + body
    with pytest.raises(MalformedFrame):
        decode_radiotap(hdr)
    # Vendor namespace header itself does not fit.
    body = b"\x10\x00\x00\x11"
    hdr = struct.pack("<BBH", 0, 0, 12 + len(body)) + struct.pack("<II", w0, w1) + body
    with pytest.raises(MalformedFrame):
        decode_radiotap(hdr)
    # Both namespace bits at once: parsing stops after the first word's fields.
    both = (1 << 1) | (1 << 29) | (1 << 30) | (1 << 31)
    hdr = struct.pack("<BBHII", 0, 0, 13, both, 0) + b"\x10"
    radio, off = decode_radiotap(hdr)
    assert off == 13 and radio.flags == 0x10


def test_prism_type2_dids_and_bad_channel():
    out = struct.pack("<II16s", 0x41, 144, b"wlan0")
    items = [(0x1041, 1), (0x2041, 2), (0x3041, 999), (0x6041, -60), (0x8041, 4)]
    for did, value in items:
        out += struct.pack("<IHHi", did, 0, 4, value)
    out += b"\x00" * (144 - len(out))
    radio, off = decode_prism(out + ctrl(13, AP))
    assert off == 144 and radio.channel is None and radio.signal_dbm == -60
    assert radio.rate_500kbps == 4 and radio.tsft == 2


def test_avs_bad_length_and_channel():
    with pytest.raises(MalformedFrame):
        decode_avs(struct.pack(">II", 0x80211001, 500) + b"\x00" * 60)
    radio, _ = decode_avs(_avs(channel=0) + ctrl(13, AP))
    assert radio.channel is None and radio.freq_mhz is None
    with pytest.raises(MalformedFrame):
        decode_ppi(struct.pack("<BBHI", 0, 0, 99, 105))


def test_vht_bandwidth_codes():
    for code, mhz in ((0, 20), (1, 40), (4, 80), (11, 160), (26, None)):
        assert RadioInfo.build(vht_bw=code).vht_bw_mhz == mhz
    assert RadioInfo.build().vht_bw_mhz is None and RadioInfo.build().mcs_bw is None
    assert RadioInfo.build(mcs_known=1, mcs_flags=0).mcs_bw == 20
