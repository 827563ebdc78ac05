"""The one command parser: every body form, every refusal, typed accessors."""

from __future__ import annotations

import base64
import io
from typing import Any
from urllib.parse import quote

import msgpack
import pytest
from klein import Klein

from kismet_tx.http.commands import Command, parse_command, parse_form, read_body
from kismet_tx.http.context import HttpContext
from kismet_tx.http.errors import BadRequest, PayloadTooLarge
from kismet_tx.http.routing import CMD, POST, ApiRequest, endpoint

from .conftest import Server, basic

FORM = {"Content-Type": ["application/x-www-form-urlencoded"]}
JSON = {"Content-Type": ["application/json"]}


def b64msgpack(value: Any) -> str:
    return base64.b64encode(msgpack.packb(value)).decode()


class EchoArea:
    """Echoes what the command parser made of a POST (an admin command)."""

    app = Klein()

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx

    @endpoint(app, "/probe/echo", ext=CMD, methods=POST)
    def echo(self, call: ApiRequest) -> Any:
        return {"data": call.cmd.data, "form": call.cmd.form}

    @endpoint(app, "/probe/typed/<kind>", ext=CMD, methods=POST)
    def typed(self, call: ApiRequest, kind: str) -> Any:
        return {"value": getattr(call.cmd, kind)("value")}

    @endpoint(app, "/probe/spec", ext=CMD, methods=POST)
    def spec(self, call: ApiRequest) -> Any:
        fields, regex = call.cmd.fields(), call.cmd.regex()
        return {"fields": fields is not None, "regex": regex is not None}


@pytest.fixture
def echo(make_server: Any) -> Server:
    return make_server(extra_areas=[EchoArea], max_body=4096)


def echoed(server: Server, **kwargs: Any) -> Any:
    reply = server.post("/probe/echo.cmd", **kwargs)
    assert reply.code == 200, reply.body
    return reply.json()


# -- accepted bodies -------------------------------------------------------------


def test_form_json_field(echo: Server) -> None:
    got = echoed(echo, data={"json": '{"fields": ["a.b"], "n": 1}'})
    assert got["data"] == {"fields": ["a.b"], "n": 1}


def test_form_as_kismet_rest_sends_it(echo: Server) -> None:
    # kismet_rest: form-encoded json.dumps(payload), spaces as '+'.
    body = "json=" + quote('{"name": "a b", "x": [1, 2]}', safe="").replace("%20", "+")
    got = echoed(echo, data=body.encode(), headers=FORM)
    assert got["data"] == {"name": "a b", "x": [1, 2]}


def test_form_msgpack_field(echo: Server) -> None:
    got = echoed(echo, data={"msgpack": b64msgpack({"cmd": "lock", "channel": "6"})})
    assert got["data"] == {"cmd": "lock", "channel": "6"}


def test_raw_json_body(echo: Server) -> None:
    got = echoed(
        echo,
        data=b'{"a": {"b": [true, null]}}',
        headers={"Content-Type": ["application/json; charset=UTF-8"]},
    )
    assert got["data"] == {"a": {"b": [True, None]}}


def test_json_body_without_content_type(echo: Server) -> None:
    assert parse_command(b'  {"a": 1}\n', None).data == {"a": 1}
    got = echoed(echo, data=b'{"a": 1}')
    assert got["data"] == {"a": 1}


def test_empty_body_is_an_empty_command(echo: Server) -> None:
    assert parse_command(b"", b"application/json").data == {}
    assert parse_command(b"  \r\n", None).data == {}
    assert echoed(echo, data=b"", headers=JSON) == {"data": {}, "form": {}}


def test_plain_form_fields_are_kept_as_options(echo: Server) -> None:
    got = echoed(echo, data={"username": "u", "password": "p w"})
    assert got == {"data": {}, "form": {"username": "u", "password": "p w"}}


def test_unknown_keys_are_ignored_by_typed_access() -> None:
    cmd = parse_command(b'{"known": "x", "unknown": {"deep": 1}}', b"application/json")
    assert cmd.text("known") == "x"
    assert "unknown" in cmd and "absent" not in cmd


# -- refused bodies --------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"data": b"{nope", "headers": JSON}, "request body is not valid JSON"),
        ({"data": {"json": "{nope"}}, "json field is not valid JSON"),
        ({"data": {"json": ""}}, "json field is not valid JSON"),
        ({"data": b"[1, 2]", "headers": JSON}, "request body must be a dictionary, got list"),
        ({"data": b"5", "headers": JSON}, "request body must be a dictionary, got int"),
        ({"data": b"[1]"}, "request body must be a dictionary, got list"),
        ({"data": {"json": '"text"'}}, "json field must be a dictionary, got str"),
        ({"data": {"msgpack": "!!not base64!!"}}, "msgpack field is not valid base64"),
        (
            {"data": {"msgpack": base64.b64encode(b"\xc1").decode()}},
            "msgpack field is not valid msgpack",
        ),
        ({"data": {"msgpack": b64msgpack([1, 2])}}, "msgpack field must be a dictionary"),
        (
            {"data": b"<x/>", "headers": {"Content-Type": ["text/xml"]}},
            "unsupported Content-Type 'text/xml'",
        ),
        ({"data": b"json=%FF", "headers": FORM}, "json field is not valid JSON"),
        ({"data": b"\xff\xfe", "headers": FORM}, "form body is not UTF-8"),
    ],
)
def test_undecodable_input_is_400_with_its_reason(
    echo: Server, kwargs: dict[str, Any], reason: str
) -> None:
    reply = echo.post("/probe/echo.cmd", **kwargs)
    assert reply.code == 400
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"
    assert reply.text.startswith("Invalid request: ")
    assert reason in reply.text
    assert reply.text.endswith("\n")


def test_body_over_the_cap_is_413(echo: Server) -> None:
    reply = echo.post("/probe/echo.cmd", data=b'{"x": "' + b"a" * 5000 + b'"}', headers=JSON)
    assert reply.code == 413
    assert "4096" in reply.text
    # The server keeps serving.
    assert echoed(echo, data=b'{"x": 1}', headers=JSON)["data"] == {"x": 1}


def test_body_at_the_cap_is_accepted(echo: Server) -> None:
    padding = 4096 - len(b'{"x": ""}')
    body = b'{"x": "' + b"a" * padding + b'"}'
    assert len(body) == 4096
    assert echoed(echo, data=body, headers=JSON)["data"] == {"x": "a" * padding}


def test_declared_length_over_the_cap_is_refused_before_reading() -> None:
    class Unreadable(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise AssertionError("the body must not be read")

    with pytest.raises(PayloadTooLarge):
        read_body(Unreadable(b"x"), b"100", 99)


def test_actual_size_over_the_cap_is_refused_whatever_is_declared() -> None:
    # A chunked body (no Content-Length) or a lying one.
    for declared in (None, b"10"):
        with pytest.raises(PayloadTooLarge) as info:
            read_body(io.BytesIO(b"x" * 100), declared, 99)
        assert info.value.status == 413
    assert read_body(io.BytesIO(b"x" * 99), None, 99) == b"x" * 99
    assert read_body(None, None, 99) == b""


def test_bad_content_length_is_400() -> None:
    with pytest.raises(BadRequest):
        read_body(io.BytesIO(b""), b"ten", 99)


def test_parse_form_keeps_blank_values_and_decodes_plus() -> None:
    assert parse_form(b"a=&b=x+y&c=%26%3D") == {"a": "", "b": "x y", "c": "&="}


# -- typed accessors ------------------------------------------------------------


GOOD = [
    ("text", "text", "text"),
    ("int", 7, 7),
    ("int", 7.0, 7),
    ("number", 3, 3.0),
    ("number", 2.5, 2.5),
    ("flag", True, True),
    ("flag", "false", False),
    ("flag", 1, True),
    ("items", [1, "a"], [1, "a"]),
    ("str_list", ["a", "b"], ["a", "b"]),
    ("dict", {"k": 1}, {"k": 1}),
]

BAD = [
    ("text", 5, "must be a string"),
    ("text", ["x"], "must be a string"),
    ("int", "7", "must be an integer"),
    ("int", 7.5, "must be an integer"),
    ("int", True, "must be an integer"),
    ("number", "1.5", "must be a number"),
    ("number", False, "must be a number"),
    ("flag", "yes", "must be a boolean"),
    ("flag", 2, "must be a boolean"),
    ("items", {"a": 1}, "must be a list"),
    ("items", "abc", "must be a list"),
    ("str_list", ["a", 1], "must be a list of strings"),
    ("dict", [1], "must be a dictionary"),
    ("dict", "x", "must be a dictionary"),
]


@pytest.mark.parametrize("kind, value, expect", GOOD)
def test_accessor_accepts_its_type(echo: Server, kind: str, value: Any, expect: Any) -> None:
    reply = echo.post(f"/probe/typed/{kind}.cmd", json={"value": value})
    assert reply.code == 200
    assert reply.json() == {"value": expect}


@pytest.mark.parametrize("kind, value, reason", BAD)
def test_accessor_refuses_a_wrong_type_with_400(
    echo: Server, kind: str, value: Any, reason: str
) -> None:
    reply = echo.post(f"/probe/typed/{kind}.jcmd", json={"value": value})
    assert reply.code == 400
    assert reply.text == f"Invalid request: 'value' {reason}\n"


@pytest.mark.parametrize("kind", ["text", "int", "number", "flag", "items", "str_list", "dict"])
def test_accessor_defaults_and_required(kind: str) -> None:
    empty = Command({"value": None})
    assert getattr(empty, kind)("value") is None
    assert getattr(empty, kind)("absent") is None
    with pytest.raises(BadRequest) as info:
        getattr(empty, kind)("absent", required=True)
    assert info.value.body() == b"Invalid request: missing 'absent' in command dictionary\n"


def test_accessor_default_is_returned_when_absent() -> None:
    cmd = Command({})
    assert cmd.text("s", default="d") == "d"
    assert cmd.int("i", default=3) == 3
    assert cmd.number("n", default=2) == 2.0
    assert cmd.flag("b", default=False) is False


# -- fields, regex, wrapper -------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"fields": "kismet.system.user"},
        {"fields": [5]},
        {"fields": [["a", "b", "c"]]},
        {"regex": "x"},
        {"regex": [["kismet.device.base.name"]]},
        {"regex": [["kismet.device.base.name", "(unclosed"]]},
    ],
)
def test_bad_fields_or_regex_is_400(echo: Server, body: dict[str, Any]) -> None:
    reply = echo.post("/probe/spec.cmd", json=body)
    assert reply.code == 400
    assert reply.text.startswith(("Invalid request", "Invalid regex"))


def test_good_fields_and_regex_compile(echo: Server) -> None:
    reply = echo.post(
        "/probe/spec.cmd",
        json={
            "fields": ["a.b", ["a.b/c.d", "alias"]],
            "regex": [["kismet.device.base.name", "^cafe"]],
        },
    )
    assert reply.json() == {"fields": True, "regex": True}
    assert echo.post("/probe/spec.cmd", json={}).json() == {"fields": False, "regex": False}


def test_wrapper_wraps_the_result(server: Server) -> None:
    reply = server.post(
        "/system/status.json",
        data={"json": '{"fields": ["kismet.system.server_name"], "wrapper": "aaData"}'},
    )
    assert reply.json() == {"aaData": {"kismet.system.server_name": "Kismet"}}
    server.bus.post("m")
    listed = server.post("/messagebus/all_messages.json", json={"wrapper": "data"}).json()
    assert list(listed) == ["data"] and len(listed["data"]) == 1


def test_wrapper_must_be_a_string(server: Server) -> None:
    reply = server.post("/system/timestamp.json", json={"wrapper": 5})
    assert (reply.code, reply.text) == (400, "Invalid request: 'wrapper' must be a string\n")


def test_get_query_json_is_not_a_command(server: Server) -> None:
    # Kismet never parses json= on GET: it cannot simplify a GET.
    reply = server.get("/system/status.json?json=%7B%22fields%22%3A%5B%22x%22%5D%7D")
    assert reply.code == 200
    assert "kismet.system.version" in reply.json()


def test_command_errors_name_no_secret(echo: Server) -> None:
    reply = echo.post("/probe/echo.cmd", data=b"{nope", headers={**JSON, **basic()})
    assert reply.code == 400
    assert b"correct horse" not in reply.body
