"""The one command parser for every POST: form ``json=``, form ``msgpack=``, raw JSON.

A command is a dictionary. Undecodable input is never treated as empty: it
gets a :class:`BadRequest` naming what was wrong. Unknown keys are ignored.
``Command`` gives typed access so routes never hand-check types.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import msgpack
import orjson

from kismet_tx.http.errors import BadRequest, PayloadTooLarge
from kismet_tx.http.fieldspec import (
    FieldSpec,
    FieldSpecError,
    RegexFilter,
    RegexSpecError,
    compile_fields,
    compile_regex,
)

#: Default cap on a request body, bytes (config ``httpd_max_body``).
DEFAULT_MAX_BODY = 1024 * 1024

_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
_MISSING = object()


def _media_type(header: bytes | None) -> str:
    if not header:
        return ""
    return header.split(b";", 1)[0].strip().decode("latin-1").lower()


def _decode_json(text: bytes | str, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc}") from None


def _decode_msgpack(text: str) -> Any:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"msgpack field is not valid base64: {exc}") from None
    try:
        return msgpack.unpackb(raw, raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises several unrelated types
        raise BadRequest(f"msgpack field is not valid msgpack: {exc}") from None


def read_body(content: Any, declared_length: bytes | None, max_body: int) -> bytes:
    """Read a request body, refusing anything over ``max_body`` bytes."""
    if declared_length is not None:
        try:
            length = int(declared_length)
        except ValueError:
            raise BadRequest("bad Content-Length") from None
        if length > max_body:
            raise PayloadTooLarge(f"request body over {max_body} bytes")
    if content is None:
        return b""
    content.seek(0)
    body: bytes = content.read(max_body + 1)
    if len(body) > max_body:
        raise PayloadTooLarge(f"request body over {max_body} bytes")
    return body


def parse_form(body: bytes) -> dict[str, str]:
    """Decode a urlencoded form; a bad encoding is a 400."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("form body is not UTF-8") from None
    try:
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=False))
    except ValueError as exc:
        raise BadRequest(f"bad form body: {exc}") from None


def parse_command(body: bytes, content_type: bytes | None) -> Command:
    """Parse a POST body into a :class:`Command`.

    An empty body is an empty command. A form needs ``json`` or ``msgpack``
    (other form fields are kept as plain string options, as Kismet's
    ``set_password`` uses). A body with no Content-Type is sniffed.
    """
    media = _media_type(content_type)
    stripped = body.strip()
    if not stripped:
        return Command({})
    if media == _JSON or (media == "" and stripped[:1] in (b"{", b"[")):
        return Command(_require_dict(_decode_json(stripped, "request body"), "request body"))
    if media in (_FORM, ""):
        form = parse_form(body)
        if "json" in form:
            value = _decode_json(form["json"], "json field")
            return Command(_require_dict(value, "json field"), form)
        if "msgpack" in form:
            return Command(_require_dict(_decode_msgpack(form["msgpack"]), "msgpack field"), form)
        return Command({}, form)
    raise BadRequest(f"unsupported Content-Type {media!r}; send json=, msgpack= or JSON")


def _require_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a dictionary, got {type(value).__name__}")
    return value


class Command:
    """A decoded command dictionary with typed, validating accessors."""

    __slots__ = ("data", "form")

    def __init__(self, data: Mapping[str, Any], form: Mapping[str, str] | None = None) -> None:
        self.data = dict(data)
        self.form = dict(form or {})

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def __repr__(self) -> str:
        return f"Command({self.data!r})"

    def _get(self, key: str, types: tuple[type, ...], label: str, required: bool,
             default: Any) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise BadRequest(f"missing '{key}' in command dictionary")
            return default
        if isinstance(value, bool) and bool not in types:
            raise BadRequest(f"'{key}' must be {label}")
        if not isinstance(value, types):
            raise BadRequest(f"'{key}' must be {label}")
        return value

    def text(self, key: str, *, required: bool = False, default: str | None = None) -> Any:
        """A string option."""
        return self._get(key, (str,), "a string", required, default)

    def int(self, key: str, *, required: bool = False, default: int | None = None) -> Any:
        """An integer option (a JSON number without a fraction)."""
        value = self._get(key, (int, float), "an integer", required, default)
        if isinstance(value, float):
            if not value.is_integer():
                raise BadRequest(f"'{key}' must be an integer")
            value = int(value)
        return value

    def number(self, key: str, *, required: bool = False,
               default: float | None = None) -> Any:
        """A numeric option."""
        value = self._get(key, (int, float), "a number", required, default)
        return float(value) if value is not None else None

    def flag(self, key: str, *, required: bool = False, default: bool | None = None) -> Any:
        """A boolean option; ``true``/``false`` strings and 0/1 are accepted too."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise BadRequest(f"missing '{key}' in command dictionary")
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise BadRequest(f"'{key}' must be a boolean")

    def items(self, key: str, *, required: bool = False,
             default: list[Any] | None = None) -> Any:
        """A list option."""
        return self._get(key, (list,), "a list", required, default)

    def str_list(self, key: str, *, required: bool = False,
                 default: list[str] | None = None) -> Any:
        """A list of strings."""
        value = self.items(key, required=required, default=default)
        if value is not None and not all(isinstance(v, str) for v in value):
            raise BadRequest(f"'{key}' must be a list of strings")
        return value

    def dict(self, key: str, *, required: bool = False,
             default: dict[str, Any] | None = None) -> Any:
        """A dictionary option."""
        return self._get(key, (dict,), "a dictionary", required, default)

    def fields(self, key: str = "fields") -> FieldSpec | None:
        """The compiled field specification, or None for whole records."""
        spec = self.data.get(key)
        if spec is None:
            return None
        try:
            return compile_fields(spec)
        except FieldSpecError as exc:
            raise BadRequest(str(exc)) from None

    def regex(self, key: str = "regex") -> RegexFilter | None:
        """The compiled regex filter, or None to match everything."""
        spec = self.data.get(key)
        if spec is None:
            return None
        try:
            return compile_regex(spec)
        except RegexSpecError as exc:
            raise BadRequest(str(exc)) from None

    def wrapper(self) -> str | None:
        """The optional ``wrapper`` key name."""
        name: str | None = self.text("wrapper")
        return name
