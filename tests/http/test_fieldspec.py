"""Tests for the ``fields`` simplifier and ``regex`` filter engine."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pcre2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kismet_tx import pcre as pcre_module
from kismet_tx.http.fieldspec import (
    MISSING,
    REGEX_SHAPE_ERROR,
    FieldSpec,
    FieldSpecError,
    RegexFilter,
    RegexSpecError,
    compile_fields,
    compile_regex,
    iter_multipath,
    resolve_path,
    split_path,
)

SIG = "kismet.device.base.signal"
LAST = "kismet.common.signal.last_signal"
MAC = "kismet.device.base.macaddr"
CHAN = "kismet.device.base.channel"
DOT11 = "dot11.device"
SSIDMAP = "dot11.device.advertised_ssid_map"
SSID = "dot11.advertisedssid.ssid"
SSID_PATH = f"{DOT11}/{SSIDMAP}/{SSID}"


class LazyMapping(Mapping[str, Any]):
    """A read-only non-dict Mapping, like the device tracker's lazy views."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def make_device(ssids: Any = None) -> dict[str, Any]:
    """A small device record."""
    return {
        MAC: "AA:BB:CC:DD:EE:FF",
        CHAN: "6",
        "kismet.device.base.frequency": 2437000,
        "kismet.device.base.name": "Office AP",
        SIG: {LAST: -42, "kismet.common.signal.min_signal": -90},
        DOT11: {
            SSIDMAP: ssids
            if ssids is not None
            else {
                1234: {SSID: "HomeNet", "dot11.advertisedssid.channel": "6"},
                5678: {SSID: "GuestNet", "dot11.advertisedssid.channel": "11"},
            },
            "dot11.device.num_clients": 3,
        },
    }


# ---------------------------------------------------------------- paths


def test_split_path_drops_empty_components() -> None:
    assert split_path(f"{SIG}/{LAST}") == (SIG, LAST)
    assert split_path(f"/{SIG}//{LAST}/") == (SIG, LAST)
    assert split_path("") == ()
    assert split_path("//") == ()


def test_resolve_path_string_and_components() -> None:
    rec = make_device()
    assert resolve_path(rec, f"{SIG}/{LAST}") == -42
    assert resolve_path(rec, (SIG, LAST)) == -42
    assert resolve_path(rec, [SIG]) is rec[SIG]


def test_resolve_path_missing_cases() -> None:
    rec = make_device()
    assert resolve_path(rec, "nope") is MISSING
    assert resolve_path(rec, f"{SIG}/nope") is MISSING
    assert resolve_path(rec, f"{MAC}/deeper") is MISSING
    assert resolve_path(rec, "") is MISSING
    assert resolve_path(rec, ()) is MISSING
    assert resolve_path(["not", "a", "map"], (SIG,)) is MISSING
    assert resolve_path(None, (SIG,)) is MISSING


def test_missing_sentinel_is_falsy_and_named() -> None:
    assert not MISSING
    assert repr(MISSING) == "MISSING"


def test_resolve_path_through_lazy_mapping() -> None:
    rec = LazyMapping({SIG: LazyMapping({LAST: -7})})
    assert resolve_path(rec, (SIG, LAST)) == -7
    assert resolve_path(rec, (SIG, "x")) is MISSING


# ---------------------------------------------------------------- fields


def test_identity_spec_for_none_and_empty() -> None:
    rec = make_device()
    for spec in (None, [], ()):
        compiled = compile_fields(spec)
        assert compiled.is_identity
        assert len(compiled) == 0
        assert compiled.apply(rec) is rec
        records = [rec, rec]
        assert list(compiled.apply_many(records)) == records
        keyed = {"k": rec}
        assert compiled.apply_keyed(keyed) is keyed


def test_plain_names_and_nested_path() -> None:
    compiled = compile_fields([MAC, f"{SIG}/{LAST}"])
    assert not compiled.is_identity
    assert compiled.apply(make_device()) == {MAC: "AA:BB:CC:DD:EE:FF", LAST: -42}


def test_alias_renames() -> None:
    compiled = compile_fields([[f"{SIG}/{LAST}", "sig"], [MAC, "mac"]])
    assert compiled.apply(make_device()) == {"sig": -42, "mac": "AA:BB:CC:DD:EE:FF"}


def test_alias_applies_to_missing_field_too() -> None:
    assert compile_fields([["nope/none", "alias"]]).apply(make_device()) == {"alias": 0}


def test_empty_alias_means_no_alias() -> None:
    assert compile_fields([[f"{SIG}/{LAST}", ""]]).apply(make_device()) == {LAST: -42}


def test_missing_fields_yield_zero() -> None:
    compiled = compile_fields(["kismet.device.base.unknown", f"{SIG}/nope", f"nope/{LAST}"])
    assert compiled.apply(make_device()) == {
        "kismet.device.base.unknown": 0,
        "nope": 0,
        LAST: 0,
    }


def test_stepping_into_scalar_or_list_yields_zero() -> None:
    rec = {"a": 5, "b": [{"c": 1}], "d": None}
    compiled = compile_fields(["a/x", "b/c", "d/e"])
    assert compiled.apply(rec) == {"x": 0, "c": 0, "e": 0}


def test_stray_quote_name_is_kept_verbatim() -> None:
    name = "'kismet.device.base.channel"
    compiled = compile_fields([name, CHAN])
    assert compiled.apply(make_device()) == {name: 0, CHAN: "6"}


def test_sub_object_is_returned_whole() -> None:
    rec = make_device()
    out = compile_fields([SIG]).apply(rec)
    assert out[SIG] is rec[SIG]


def test_order_follows_request_not_record() -> None:
    compiled = compile_fields(["kismet.device.base.name", "missing.one", CHAN, MAC])
    out = compiled.apply(make_device())
    assert list(out) == ["kismet.device.base.name", "missing.one", CHAN, MAC]
    assert compiled.names == tuple(out)


def test_duplicate_result_names_later_wins_first_position() -> None:
    compiled = compile_fields([[MAC, "x"], CHAN, [f"{SIG}/{LAST}", "x"]])
    out = compiled.apply(make_device())
    assert list(out) == ["x", CHAN]
    assert out["x"] == -42
    assert len(compiled) == 2


def test_empty_components_are_skipped_in_fields() -> None:
    compiled = compile_fields([f"{SIG}//{LAST}/", "", "/"])
    assert compiled.entries == ((LAST, (SIG, LAST)), ("", ()), ("/", ()))
    assert compiled.apply(make_device()) == {LAST: -42, "": 0, "/": 0}


def test_lists_are_not_expanded_in_fields() -> None:
    rec = {"list": [{"v": 1}, {"v": 2}]}
    assert compile_fields(["list/v", "list"]).apply(rec) == {"v": 0, "list": rec["list"]}


def test_non_mapping_record_gives_all_zero() -> None:
    compiled = compile_fields([MAC, f"{SIG}/{LAST}"])
    for rec in (None, 5, "text", [make_device()]):
        assert compiled.apply(rec) == {MAC: 0, LAST: 0}


def test_lazy_mapping_record() -> None:
    rec = LazyMapping({MAC: "m", SIG: LazyMapping({LAST: -1})})
    out = compile_fields([MAC, f"{SIG}/{LAST}", "nope", f"{MAC}/x"]).apply(rec)
    assert out == {MAC: "m", LAST: -1, "nope": 0, "x": 0}


def test_tuple_spec_and_tuple_items_accepted() -> None:
    compiled = compile_fields((MAC, (f"{SIG}/{LAST}", "sig")))
    assert compiled.apply(make_device()) == {MAC: "AA:BB:CC:DD:EE:FF", "sig": -42}


def test_apply_many_and_apply_keyed() -> None:
    compiled = compile_fields([["kismet.device.base.name", "n"]])
    recs = [{"kismet.device.base.name": "a"}, {"kismet.device.base.name": "b"}, {}]
    out = compiled.apply_many(iter(recs))
    assert isinstance(out, Iterator)
    assert list(out) == [{"n": "a"}, {"n": "b"}, {"n": 0}]
    keyed = {"k1": recs[0], "k2": recs[2]}
    assert compiled.apply_keyed(keyed) == {"k1": {"n": "a"}, "k2": {"n": 0}}
    assert compiled.apply_keyed(LazyMapping(keyed)) == {"k1": {"n": "a"}, "k2": {"n": 0}}


def test_fieldspec_repr_and_direct_construction() -> None:
    spec = FieldSpec([("a", ("x", "a"))])
    assert repr(spec) == "FieldSpec([('a', ('x', 'a'))])"
    assert spec.apply({"x": {"a": 1}}) == {"a": 1}


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"a": 1}, "got dict"),
        ("kismet.device.base.name", "got str"),
        (5, "got int"),
        (True, "got bool"),
        ([5], "item 0"),
        ([MAC, None], "item 1"),
        ([MAC, {"a": "b"}], "got dict"),
        ([[MAC]], "has 1 elements"),
        ([[MAC, "a", "b"]], "has 3 elements"),
        ([[]], "has 0 elements"),
        ([[MAC, 5]], "pair of strings"),
        ([[5, "alias"]], "pair of strings"),
        ([[[MAC], "alias"]], "pair of strings"),
    ],
)
def test_invalid_field_specs(spec: Any, fragment: str) -> None:
    with pytest.raises(FieldSpecError) as info:
        compile_fields(spec)
    message = str(info.value)
    assert message.startswith("Invalid field mapping")
    assert fragment in message
    assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------- regex: spec


@pytest.mark.parametrize(
    "spec",
    [
        None,
        {"a": "b"},
        "ssid",
        5,
        ["ssid"],
        [[SSID_PATH]],
        [[SSID_PATH, "a", "b"]],
        [[5, "a"]],
        [[SSID_PATH, 5]],
        [[SSID_PATH, None]],
        [[SSID_PATH, "ok"], "bad"],
    ],
)
def test_invalid_regex_shapes(spec: Any) -> None:
    with pytest.raises(RegexSpecError) as info:
        compile_regex(spec)
    assert str(info.value) == REGEX_SHAPE_ERROR
    assert str(info.value) == (
        "Invalid regex: expected array of [field, regex] pairs for regex filter"
    )
    assert isinstance(info.value, ValueError)


def test_invalid_pattern_message() -> None:
    with pytest.raises(RegexSpecError) as info:
        compile_regex([[SSID_PATH, "a("]])
    assert str(info.value) == (
        "Invalid regex: compilation failed at position 2; missing closing parenthesis"
    )


@pytest.mark.parametrize("pattern", ["[z-a]", "\\", "(?<=a+)b", "*", "\\p{Nope}", "\ud800"])
def test_other_invalid_patterns(pattern: str) -> None:
    with pytest.raises(RegexSpecError, match=r"^Invalid regex: "):
        compile_regex([[SSID_PATH, pattern]])


def test_compiled_filter_introspection() -> None:
    compiled = compile_regex(((MAC, "^AA"), [SSID_PATH, "Net$"]))
    assert compiled.pairs == ((MAC, "^AA"), (SSID_PATH, "Net$"))
    assert len(compiled) == 2
    assert repr(compiled) == f"RegexFilter([('{MAC}', '^AA'), ('{SSID_PATH}', 'Net$')])"


def test_jit_failure_falls_back_to_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    real_compile = pcre2.compile
    calls: list[bool] = []

    def fake_compile(pattern: str, flags: int = 0, *, jit: bool = True) -> pcre2.Pattern:
        calls.append(jit)
        if jit:
            raise pcre2.LibraryError(-45)
        return real_compile(pattern, flags, jit=False)

    monkeypatch.setattr(pcre_module.pcre2, "compile", fake_compile)
    compiled = compile_regex([[MAC, "^AA:BB"]])
    assert calls == [True, False]
    assert compiled.matches(make_device())


# ---------------------------------------------------------------- regex: matching


def test_simple_field_match_and_miss() -> None:
    rec = make_device()
    assert compile_regex([[MAC, "^AA:BB"]]).matches(rec)
    assert not compile_regex([[MAC, "^BB"]]).matches(rec)


def test_unanchored_search_and_anchors() -> None:
    rec = {"name": "Office AP"}
    assert compile_regex([["name", "ice"]]).matches(rec)
    assert compile_regex([["name", "AP$"]]).matches(rec)
    assert not compile_regex([["name", "^ice"]]).matches(rec)
    assert not compile_regex([["name", "Office$"]]).matches(rec)
    assert compile_regex([["name", "^Office AP$"]]).matches(rec)


def test_nested_keyed_map_is_expanded() -> None:
    rec = make_device()
    assert compile_regex([[SSID_PATH, "^Guest"]]).matches(rec)
    assert compile_regex([[SSID_PATH, "^HomeNet$"]]).matches(rec)
    assert not compile_regex([[SSID_PATH, "^Corp"]]).matches(rec)


def test_nested_list_is_expanded() -> None:
    rec = make_device([{SSID: "First"}, {SSID: "Second"}])
    assert compile_regex([[SSID_PATH, "^Second$"]]).matches(rec)
    rec_tuple = make_device(({SSID: "Only"},))
    assert compile_regex([[SSID_PATH, "Only"]]).matches(rec_tuple)


def test_lazy_mappings_are_expanded() -> None:
    ssids = LazyMapping({"h1": LazyMapping({SSID: "Lazy"})})
    rec = LazyMapping({DOT11: LazyMapping({SSIDMAP: ssids})})
    assert compile_regex([[SSID_PATH, "^Lazy$"]]).matches(rec)


def test_iter_multipath_yields_all_values_in_order() -> None:
    rec = {
        "a": [
            {"b": {"k1": {"c": "x1"}, "k2": {"c": "x2"}}},
            {"b": [{"c": "y1"}, {"nope": 1}, 7, {"c": "y2"}]},
            {"other": 1},
        ]
    }
    assert list(iter_multipath(rec, ("a", "b", "c"))) == ["x1", "x2", "y1", "y2"]


def test_iter_multipath_descends_when_next_key_present() -> None:
    rec = {"a": {"b": {"c": "direct"}, "z": {"b": {"c": "not-used"}}}}
    assert list(iter_multipath(rec, ("a", "b", "c"))) == ["direct"]


def test_iter_multipath_terminal_container_not_expanded() -> None:
    rec = {"a": {"b": ["x", "y"]}}
    assert list(iter_multipath(rec, ("a", "b"))) == [["x", "y"]]
    assert not compile_regex([["a/b", "x"]]).matches(rec)


def test_iter_multipath_dead_ends() -> None:
    assert list(iter_multipath({"a": 1}, ())) == []
    assert list(iter_multipath({"a": 1}, ("b",))) == []
    assert list(iter_multipath({"a": 1}, ("a", "b"))) == []
    assert list(iter_multipath([{"a": "x"}], ("a",))) == []
    assert list(iter_multipath({"a": [[{"b": "x"}]]}, ("a", "b"))) == []


def test_or_semantics_across_pairs_and_values() -> None:
    rec = make_device()
    both_miss = compile_regex([[MAC, "^00"], [SSID_PATH, "^Corp"]])
    one_hit = compile_regex([[MAC, "^00"], [SSID_PATH, "^Guest"]])
    first_hit = compile_regex([[MAC, "^AA"], ["missing/path", "x"]])
    assert not both_miss.matches(rec)
    assert one_hit.matches(rec)
    assert first_hit.matches(rec)


def test_empty_filter_matches_nothing() -> None:
    compiled = compile_regex([])
    assert len(compiled) == 0
    assert not compiled.matches(make_device())
    assert RegexFilter().pairs == ()


def test_empty_path_matches_nothing() -> None:
    assert not compile_regex([["", ""]]).matches({"": "x"})


def test_non_string_values_never_match() -> None:
    rec = {"i": 42, "f": 4.2, "b": True, "n": None, "m": {"x": "42"}, "l": ["42"]}
    for name in rec:
        assert not compile_regex([[name, "4|True|None|x"]]).matches(rec), name
    assert not compile_regex([["i", ""]]).matches(rec)


def test_bytes_values_match_as_latin1() -> None:
    rec = {"raw": b"\x00\xffSSID\xe9", "ba": bytearray(b"abc")}
    assert compile_regex([["raw", "SSID"]]).matches(rec)
    assert compile_regex([["raw", "^\\x00\\xff"]]).matches(rec)
    assert compile_regex([["raw", "\\xe9$"]]).matches(rec)
    assert compile_regex([["raw", "^.{7}$"]]).matches(rec)
    assert compile_regex([["ba", "^abc$"]]).matches(rec)
    assert not compile_regex([["raw", "nope"]]).matches(rec)


def test_utf_mode_without_ucp() -> None:
    rec = {"s": "café", "d": "\u0663"}
    assert compile_regex([["s", "^caf.$"]]).matches(rec)
    assert compile_regex([["s", "(?i)CAFÉ"]]).matches(rec)
    assert not compile_regex([["s", "^caf\\w$"]]).matches(rec)
    assert not compile_regex([["d", "\\d"]]).matches(rec)
    assert compile_regex([["d", "(*UCP)\\d"]]).matches(rec)


def test_pcre_specific_syntax() -> None:
    rec = {"s": "aaab", "n": "foobar"}
    assert compile_regex([["s", "a++b"]]).matches(rec)
    assert compile_regex([["n", "foo\\Kbar"]]).matches(rec)
    assert compile_regex([["n", "(?<w>o)\\k<w>"]]).matches(rec)


def test_braced_hex_escape_has_pcre_meaning() -> None:
    assert compile_regex([["s", "^\\x{41}$"]]).matches({"s": "A"})
    assert not compile_regex([["s", "\\x{41}"]]).matches({"s": "x" * 41})
    assert compile_regex([["s", "^[\\x{41}-\\x{5a}]+$"]]).matches({"s": "QZ"})
    assert compile_regex([["s", "\\x{263a}"]]).matches({"s": "smile \u263a"})


def test_rewrite_braced_hex_respects_escapes_and_quotes() -> None:
    rewrite = pcre_module.rewrite_braced_hex
    assert rewrite("plain") == "plain"
    assert rewrite("\\x{41}") == "\\N{U+41}"
    assert rewrite("\\\\x{41}") == "\\\\x{41}"
    assert rewrite("\\Q\\x{41}\\E\\x{42}") == "\\Q\\x{41}\\E\\N{U+42}"
    assert rewrite("\\Qa\\\\E\\x{41}") == "\\Qa\\\\E\\N{U+41}"
    assert rewrite("\\x{zz}\\x{41}") == "\\x{zz}\\N{U+41}"
    assert rewrite("\\d\\x{41}\\") == "\\d\\N{U+41}\\"
    assert compile_regex([["s", "\\Q\\x{41}\\E"]]).matches({"s": "\\x{41}"})
    assert compile_regex([["s", "^\\\\x{2}$"]]).matches({"s": "\\xx"})
    with pytest.raises(RegexSpecError, match="at end of pattern"):
        compile_regex([["s", "\\x{41}\\"]])
    with pytest.raises(RegexSpecError, match=r"^Invalid regex: "):
        compile_regex([["s", "\\x{110000}"]])


def test_surrogate_values_are_scrubbed() -> None:
    rec = {"s": "bad\ud800name"}
    assert compile_regex([["s", "^bad\ufffdname$"]]).matches(rec)
    assert not compile_regex([["s", "other"]]).matches(rec)


def test_backtracking_limit_counts_as_no_match() -> None:
    rec = {"s": "a" * 40 + "b", "t": "zzz"}
    compiled = compile_regex([["s", "(a+)+$"]])
    assert not compiled.matches(rec)
    assert compile_regex([["s", "(a+)+$"], ["t", "z"]]).matches(rec)


def test_filter_is_lazy_and_ordered() -> None:
    recs = [{"n": "a1"}, {"n": "b"}, {"n": "a2"}, {"n": 5}, {}]
    result = compile_regex([["n", "^a"]]).filter(iter(recs))
    assert isinstance(result, Iterator)
    assert list(result) == [recs[0], recs[2]]


# ---------------------------------------------------------------- properties

NAMES = ["a", "b", "kismet.x", "k'q", "7"]

json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(st.characters(exclude_categories=()), max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)

record_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.binary(max_size=6)
    | st.text(st.characters(exclude_categories=()), max_size=6)
)
records = st.recursive(
    record_leaves,
    lambda children: st.lists(children, max_size=3)
    | st.lists(children, max_size=3).map(tuple)
    | st.dictionaries(st.sampled_from(NAMES) | st.integers(), children, max_size=4)
    | st.dictionaries(st.sampled_from(NAMES), children, max_size=4).map(LazyMapping),
    max_leaves=15,
)
paths = st.lists(st.sampled_from([*NAMES, ""]), min_size=0, max_size=4).map("/".join)
field_items = paths | st.tuples(paths, st.sampled_from(["", "alias", "a"])).map(list)
pattern_text = st.text(alphabet="ab7()[]{}*+?|^$.\\-xQEdw", max_size=8)
regex_pairs = st.lists(st.tuples(paths, pattern_text).map(list), max_size=3)

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FAST
@given(json_like | st.lists(field_items, max_size=5))
def test_compile_fields_total(spec: Any) -> None:
    try:
        compiled = compile_fields(spec)
    except FieldSpecError as exc:
        assert str(exc).startswith("Invalid field mapping")
    else:
        assert isinstance(compiled, FieldSpec)


@FAST
@given(json_like | regex_pairs)
def test_compile_regex_total(spec: Any) -> None:
    try:
        compiled = compile_regex(spec)
    except RegexSpecError as exc:
        assert str(exc).startswith("Invalid regex: ")
    else:
        assert isinstance(compiled, RegexFilter)


@FAST
@given(st.lists(field_items, min_size=1, max_size=5), records)
def test_apply_never_raises_and_agrees_with_resolve(spec: list[Any], record: Any) -> None:
    compiled = compile_fields(spec)
    out = compiled.apply(record)
    assert isinstance(out, dict)
    assert tuple(out) == compiled.names
    for key, components in compiled.entries:
        expected = resolve_path(record, components)
        if expected is MISSING:
            assert out[key] == 0
        else:
            assert out[key] is expected


@FAST
@given(regex_pairs, records)
def test_matches_never_raises(spec: list[Any], record: Any) -> None:
    try:
        compiled = compile_regex(spec)
    except RegexSpecError:
        return
    assert isinstance(compiled.matches(record), bool)
    assert list(compiled.filter([record])) in ([], [record])


def test_top_level_fields_of_lazy_records_read_as_through_get() -> None:
    """A spec of top-level fields reads a lazy record's getters directly; on every
    device of a real capture it gives what reading through ``get`` gives: known,
    unknown, dynamic (absent on some devices) and nested fields, aliases too."""
    from types import MappingProxyType

    from tests.tracker.replay import make_rig

    names: list[Any] = [
        MAC, "kismet.device.base.last_time", ["kismet.device.base.packets.total", "p"],
        "kismet.device.base.no_such_field", SIG, DOT11, "kismet.device.base.location"]
    checked = 0
    for capture in ("john-samples_wpa-Induction.pcapng", "aircrack-ng_n-02.cap"):
        rig = make_rig()
        rig.replay(capture)
        for fields in (names, names[:3], names[3:]):
            spec = compile_fields(fields)
            for device in rig.tracking.device_tracker.devices():
                record = rig.tracking.record(device)
                assert spec._readers(type(record)) is not None
                through_get = spec.apply(MappingProxyType(record))
                assert spec.apply(record) == through_get
                # The row maker reads the same values from the device itself.
                maker = spec.row_maker(type(record), rig.tracking.device_tracker)
                assert maker is not None
                assert list(maker(device).items()) == list(through_get.items())
                checked += 1
    assert checked > 30
    assert compile_fields([MAC, "kismet.device.base.signal/kismet.common.signal.last_signal"]
                          ).row_maker(type(record), None) is None  # a nested path: no maker
    assert compile_fields([MAC]).row_maker(dict, None) is None  # not a lazy record
