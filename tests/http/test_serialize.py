"""The serializer layer: every suffix, directly and through real endpoints."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

import msgpack
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kismet_tx.http import serialize
from kismet_tx.http.serialize import CHUNK_ITEMS, FORMATS, Serializer, underscore_names

from .conftest import Server, lines

RECORD = {
    "kismet.device.base.name": "cafe.example.com",
    "kismet.device.base.signal": {"kismet.common.signal.last_signal": -42},
    "kismet.device.base.seenby": [{"kismet.common.seenby.uuid": "A.B"}],
}

#: Part B 0 and Part A 2: the Content-Type each suffix is served with.
CONTENT_TYPES = {
    "json": "application/json",
    "cmd": "application/json",
    "jcmd": "application/json",
    "itjson": "application/json",
    "ekjson": "application/json",
    "prettyjson": "application/json",
    "tjson": "text/plain",
    "msgpack": "application/x-msgpack",
}


def describe(name: str) -> str | None:
    return {"kismet.device.base.name": "string, device name"}.get(name)


class LazyRecord(Mapping[str, Any]):
    """A read-only Mapping that is not a dict, as the tracker hands out."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def underscored(value: Any) -> Any:
    """The reference ``.``→``_`` transform, on keys only."""
    if isinstance(value, dict):
        return {k.replace(".", "_"): underscored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [underscored(v) for v in value]
    return value


# -- formats, directly ---------------------------------------------------------


def test_every_format_has_its_content_type() -> None:
    assert set(FORMATS) == set(CONTENT_TYPES)
    for fmt, mime in CONTENT_TYPES.items():
        assert Serializer.content_type(fmt) == mime.encode()


@pytest.mark.parametrize("fmt", ["json", "cmd", "jcmd"])
def test_json_is_one_line_with_dotted_names(fmt: str) -> None:
    body = Serializer().encode([RECORD, RECORD], fmt)
    assert b"\n" not in body and b"\r" not in body
    assert orjson.loads(body) == [RECORD, RECORD]


def test_itjson_puts_each_list_item_on_its_own_line_keeping_dots() -> None:
    body = Serializer().encode([RECORD, {"a.b": 1}], "itjson")
    assert lines(body) == [RECORD, {"a.b": 1}]
    assert body.count(b"\n") == 2


def test_itjson_and_ekjson_non_list_is_one_line_and_newline() -> None:
    assert Serializer().encode(RECORD, "itjson") == orjson.dumps(RECORD) + b"\n"
    assert lines(Serializer().encode(RECORD, "ekjson")) == [underscored(RECORD)]


@pytest.mark.parametrize("fmt", ["itjson", "ekjson"])
def test_empty_list_gives_an_empty_body_in_line_formats(fmt: str) -> None:
    assert Serializer().encode([], fmt) == b""
    assert b"".join(Serializer().encode_list(iter([]), fmt)) == b""


def test_ekjson_underscores_names_never_values() -> None:
    body = Serializer().encode([RECORD], "ekjson")
    (item,) = lines(body)
    assert item == underscored(RECORD)
    assert item["kismet_device_base_name"] == "cafe.example.com"
    assert item["kismet_device_base_seenby"][0]["kismet_common_seenby_uuid"] == "A.B"


def test_tjson_is_json_with_underscored_names() -> None:
    body = Serializer().encode([RECORD], "tjson")
    assert b"\n" not in body
    assert orjson.loads(body) == [underscored(RECORD)]


def test_underscore_reaches_records_inside_any_iterable() -> None:
    # A deque (what the message bus keeps) or a set is serialized as a list:
    # the records in it must lose their dots too.
    value = {"outer.name": deque([{"inner.name": "x.y"}]), "tags.set": frozenset({"a.b"})}
    assert orjson.loads(Serializer().encode(value, "tjson")) == {
        "outer_name": [{"inner_name": "x.y"}],
        "tags_set": ["a.b"],
    }
    assert underscore_names(LazyRecord({"a.b": LazyRecord({"c.d": 1})})) == {"a_b": {"c_d": 1}}


def test_prettyjson_indents_with_crlf_and_describes_fields() -> None:
    body = Serializer(describe).encode(
        {"kismet.device.base.name": "x", "other.field": 1}, "prettyjson"
    )
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert body.count(b"\r\n") > 2
    parsed = orjson.loads(body)
    assert list(parsed) == [
        "description.kismet.device.base.name",
        "kismet.device.base.name",
        "other.field",
    ]
    assert parsed["description.kismet.device.base.name"] == "string, device name"


def test_lazy_mappings_and_sets_serialize_like_dicts_and_lists() -> None:
    value = LazyRecord({"a.b": LazyRecord({"c": (1, 2)}), "s": {3}})
    assert orjson.loads(Serializer().encode(value, "json")) == {"a.b": {"c": [1, 2]}, "s": [3]}


def test_unserializable_value_is_an_error_not_garbage() -> None:
    with pytest.raises(TypeError):
        Serializer().encode({"x": object()}, "json")


def test_msgpack_is_exactly_the_json_structure() -> None:
    # Map keys become strings and bytes become hex in JSON; msgpack must match.
    value = {
        "kismet.device.base.freq_khz_map": {2412000: 10, 5180000.5: 2},
        "raw.bytes": b"\x00\xff",
        "set": {1},
        "nested": [LazyRecord({"a.b": None, "t": True, "f": 0.5})],
    }
    s = Serializer()
    assert msgpack.unpackb(s.encode(value, "msgpack")) == orjson.loads(s.encode(value, "json"))


#: Text without lone surrogates (which are not UTF-8 and no format can carry).
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_msgpack_and_json_agree_on_any_value(value: Any) -> None:
    s = Serializer()
    assert msgpack.unpackb(s.encode(value, "msgpack")) == orjson.loads(s.encode(value, "json"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(texts, json_values, max_size=4), max_size=6))
def test_ekjson_lines_are_the_json_items_with_underscored_keys(items: list[Any]) -> None:
    s = Serializer()
    assert lines(s.encode(items, "ekjson")) == [underscored(i) for i in items]
    assert lines(s.encode(items, "itjson")) == items


@pytest.mark.parametrize("count", [0, 1, CHUNK_ITEMS - 1, CHUNK_ITEMS, CHUNK_ITEMS + 1, 1000])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_streamed_list_equals_the_whole_encoding(fmt: str, count: int) -> None:
    items = [{"n.i": i, "n.s": f"v.{i}"} for i in range(count)]
    s = Serializer(describe)
    chunks = list(s.encode_list(iter(items), fmt))
    assert b"".join(chunks) == s.encode(items, fmt)
    if fmt not in ("msgpack", "prettyjson"):
        # Streamed in chunks of CHUNK_ITEMS items: never one write per item,
        # never the whole body at once.
        assert count // CHUNK_ITEMS <= len(chunks) <= count // CHUNK_ITEMS + 1


def test_stream_is_lazy() -> None:
    consumed = []

    def produce() -> Iterator[dict[str, int]]:
        for i in range(CHUNK_ITEMS * 3):
            consumed.append(i)
            yield {"i": i}

    chunks = Serializer().encode_list(produce(), "itjson")
    next(chunks)
    assert len(consumed) == CHUNK_ITEMS


def test_underscore_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serialize, "_underscore_cache", {})
    for i in range(70_000):
        serialize._underscore_name(f"f.{i}")
    assert len(serialize._underscore_cache) <= 65536
    assert serialize._underscore_name("x.y.z") == "x_y_z"


# -- through the real endpoints ---------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(CONTENT_TYPES))
def test_endpoint_served_in_every_format(server: Server, fmt: str) -> None:
    server.bus.post("first.message")
    server.bus.post("second\nmessage")
    reply = server.get(f"/messagebus/all_messages.{fmt}")
    assert reply.code == 200
    assert reply.header("Content-Type") == CONTENT_TYPES[fmt]
    records = [
        {
            "kismet.messagebus.message_string": text,
            "kismet.messagebus.message_flags": 2,
            "kismet.messagebus.message_time": 1_700_000_000,
        }
        for text in ("first.message", "second\nmessage")
    ]
    if fmt == "msgpack":
        assert msgpack.unpackb(reply.body) == records
    elif fmt in ("itjson", "ekjson"):
        expect = records if fmt == "itjson" else underscored(records)
        assert lines(reply.body) == expect
        assert reply.body.count(b"\n") == 2
    elif fmt == "prettyjson":
        parsed = orjson.loads(reply.body)
        assert parsed[0]["description.kismet.messagebus.message_string"].startswith("string, ")
        assert parsed[1]["kismet.messagebus.message_string"] == "second\nmessage"
    else:
        assert b"\n" not in reply.body
        expect = underscored(records) if fmt == "tjson" else records
        assert reply.json() == expect


def test_wrapped_answer_in_a_line_format_is_one_line(server: Server) -> None:
    server.bus.post("hello")
    reply = server.get("/messagebus/last-time/0/messages.itjson")
    (only,) = lines(reply.body)
    assert list(only) == ["kismet.messagebus.list", "kismet.messagebus.timestamp"]


def test_empty_list_endpoint_in_itjson_is_an_empty_body(server: Server) -> None:
    reply = server.get("/messagebus/all_messages.itjson")
    assert (reply.code, reply.body) == (200, b"")
    assert server.get("/messagebus/all_messages.json").body == b"[]"


def test_unknown_suffix_is_not_found(server: Server) -> None:
    for path in ("/system/status.xml", "/system/status", "/messagebus/all_messages.JSON"):
        reply = server.get(path)
        assert reply.code == 404, path
        assert reply.header("Content-Type") == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "path",
    [
        "/system/status",
        "/system/timestamp",
        "/system/user_status",
        "/messagebus/all_messages",
        "/messagebus/last-time/0/messages",
    ],
)
def test_msgpack_equals_json_on_real_output(
    server: Server, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kismet_tx.sysmon.read_rss_kb", lambda: 12345)
    server.monitor.sample()
    server.bus.post("a message", 4)
    as_json = server.get(path + ".json")
    as_msgpack = server.get(path + ".msgpack")
    assert as_json.code == as_msgpack.code == 200
    assert msgpack.unpackb(as_msgpack.body) == as_json.json()


@pytest.mark.parametrize("fmt", ["json", "itjson", "ekjson", "tjson", "cmd", "msgpack",
                                 "prettyjson"])
@pytest.mark.parametrize("count", [0, 1, 700])
def test_a_wrapped_list_streams_as_the_whole_wrapper_encodes(fmt: str, count: int) -> None:
    """A paged view streams ``{"data": [...], ...}``: byte for byte what encoding the
    whole wrapper gives (one line in itjson/ekjson, names rewritten in ekjson/tjson)."""
    serializer = Serializer()
    rows = [{"kismet.device.base.name": f"d.{i}", "n": i} for i in range(count)]
    wrap = {"data": None, "last_page": 3, "last_row": count, "total_row": 9}
    streamed = b"".join(serializer.encode_list(iter(rows), fmt, wrap=wrap))
    whole = serializer.encode({**wrap, "data": rows}, fmt)
    assert streamed == whole
