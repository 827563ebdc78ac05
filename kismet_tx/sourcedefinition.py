"""Kismet capture source definitions: ``interface[:opt=val,opt=val,...]``.

What ``source=`` lines, ``-c`` arguments, ``gps=`` lines and the datasource
commands hand over, split into an interface and its options.
"""

from __future__ import annotations

__all__ = ["SourceDefinitionError", "parse_source_definition"]


class SourceDefinitionError(ValueError):
    """A capture source definition (``iface:opt=val,...``) is malformed."""


def _split_options(text: str, definition: str) -> list[tuple[str, str]]:
    """Split ``opt=val,...`` at unquoted commas; quotes are removed from values."""
    pairs: list[tuple[str, str]] = []
    key: list[str] = []
    value: list[str] = []
    in_key = True
    in_quote = False

    def finish() -> None:
        name = "".join(key).strip()
        if in_key:
            if name:
                raise SourceDefinitionError(
                    f"source option {name!r} has no '=value' in {definition!r}"
                )
            raise SourceDefinitionError(f"empty source option in {definition!r}")
        if not name:
            raise SourceDefinitionError(f"source option with empty name in {definition!r}")
        pairs.append((name.lower(), "".join(value)))

    for char in text:
        if in_key:
            if char == "=":
                in_key = False
            elif char == ",":
                finish()  # always raises: the option has no value
            elif char == '"':
                raise SourceDefinitionError(
                    f"quote in source option name {''.join(key) + char!r} in {definition!r}"
                )
            else:
                key.append(char)
        elif char == '"':
            in_quote = not in_quote
        elif char == "," and not in_quote:
            finish()
            key.clear()
            value.clear()
            in_key = True
        else:
            value.append(char)
    if in_quote:
        raise SourceDefinitionError(f"unterminated quote in {definition!r}")
    finish()
    return pairs


def parse_source_definition(text: str) -> tuple[str, dict[str, str]]:
    """Split a Kismet source definition into its interface and options.

    The syntax is ``interface[:opt=val,opt=val,...]``, split at the first
    ``:`` as Kismet does.  Double quotes in a value protect commas and are
    removed (``channels="1,6,11"`` gives ``1,6,11``).  Option names are
    lowercased and stripped; values are kept verbatim.  A repeated option keeps
    its last value, and ``iface:`` with nothing after the colon has no options.
    """
    definition = text.strip()
    interface, colon, rest = definition.partition(":")
    interface = interface.strip()
    if not interface:
        raise SourceDefinitionError(f"source definition {text!r} has no interface")
    if not colon or not rest.strip():
        return interface, {}
    return interface, dict(_split_options(rest, definition))
