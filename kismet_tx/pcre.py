"""PCRE2 compile and search helpers shared by every layer that takes user regexes.

Kismet matches user regexes (``regex`` filters, ``apspoof=`` and
``ssidcanary=`` SSIDs) with PCRE. These helpers compile a pattern the way
Kismet's PCRE does (UTF mode, PCRE's ASCII meaning of ``\\d``/``\\w``/``\\s``,
``\\x{hh}`` escapes) and search unanchored. Pure: no I/O, no Twisted.
"""

from __future__ import annotations

import re

import pcre2

__all__ = ["PcreError", "compile_pcre", "pcre_search", "rewrite_braced_hex"]


class PcreError(ValueError):
    """A pattern that PCRE2 will not compile; the message says why."""


_BRACED_HEX = re.compile(r"\\x\{([0-9A-Fa-f]+)\}")


def rewrite_braced_hex(pattern: str) -> str:
    r"""Turn PCRE ``\x{hh..}`` escapes into the equivalent ``\N{U+hh..}``.

    The ``pcre2`` binding always compiles with ``PCRE2_ALT_BSUX``, under which
    ``\x{41}`` would mean "``x`` 41 times" instead of "A". ``\N{U+..}`` keeps
    the PCRE meaning in UTF mode, inside character classes too. Escaped
    backslashes and ``\Q...\E`` literal runs are left alone.
    """
    if "\\x{" not in pattern:
        return pattern
    out: list[str] = []
    i = 0
    size = len(pattern)
    quoted = False
    while i < size:
        char = pattern[i]
        if char != "\\" or i + 1 == size:
            out.append(char)
            i += 1
            continue
        follow = pattern[i + 1]
        if quoted:
            if follow == "E":
                quoted = False
                out.append("\\E")
                i += 2
            else:
                out.append(char)
                i += 1
            continue
        if follow == "Q":
            quoted = True
        elif follow == "x":
            match = _BRACED_HEX.match(pattern, i)
            if match is not None:
                out.append(f"\\N{{U+{match.group(1)}}}")
                i = match.end()
                continue
        out.append(pattern[i : i + 2])
        i += 2
    return "".join(out)


def compile_pcre(pattern: str) -> pcre2.Pattern:
    r"""Compile one pattern with PCRE2 in UTF mode and without UCP.

    UTF mode makes ``.`` and classes work on code points; leaving UCP off keeps
    PCRE's default ASCII meaning of ``\d``, ``\w``, ``\s`` and ``\b`` (a pattern
    may opt in with ``(*UCP)``). If JIT compilation is unavailable the pattern
    is used interpreted. Raises :class:`PcreError` for a bad pattern.
    """
    source = rewrite_braced_hex(pattern)
    try:
        return pcre2.compile(source, pcre2.ASCII)
    except pcre2.PatternError as exc:
        raise PcreError(str(exc)) from None
    except UnicodeError as exc:
        raise PcreError(str(exc)) from None
    except pcre2.LibraryError:
        return pcre2.compile(source, pcre2.ASCII, jit=False)


def _scrub_surrogates(text: str) -> str:
    """Replace lone surrogates, which UTF-8 cannot carry, with U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def pcre_search(pattern: pcre2.Pattern, text: str) -> bool:
    """Unanchored search; a match-time PCRE2 failure (match or depth limit) is no match."""
    try:
        try:
            return pattern.search(text) is not None
        except UnicodeEncodeError:
            return pattern.search(_scrub_surrogates(text)) is not None
    except pcre2.LibraryError:
        return False
