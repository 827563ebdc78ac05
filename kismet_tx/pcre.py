"""PCRE2 compile and search helpers shared by every layer that takes user regexes.

Kismet matches user regexes (``regex`` filters, ``apspoof=`` and
``ssidcanary=`` SSIDs) with PCRE. These helpers compile a pattern the way
Kismet's PCRE does (UTF mode, PCRE's ASCII meaning of ``\\d``/``\\w``/``\\s``,
``\\x{hh}`` escapes) and search unanchored. Pure: no I/O, no Twisted.
"""

from __future__ import annotations

import re

import pcre2

__all__ = [
    "DEPTH_LIMIT",
    "HEAP_LIMIT_KIB",
    "MATCH_LIMIT",
    "PcreError",
    "compile_pcre",
    "compile_user_pcre",
    "pcre_search",
    "refused_verb",
    "rewrite_braced_hex",
]

#: PCRE2 match limit of a user pattern (backtracking steps per search): a search
#: costs at most tens of microseconds with JIT, about a third of a millisecond
#: interpreted, where PCRE2's default (10,000,000) allows seconds.
MATCH_LIMIT = 20_000
#: PCRE2 depth limit (backtracking depth) of a user pattern.
DEPTH_LIMIT = 2_000
#: PCRE2 heap limit of a user pattern, KiB.
HEAP_LIMIT_KIB = 1_024
_LIMITS = f"(*LIMIT_MATCH={MATCH_LIMIT})(*LIMIT_DEPTH={DEPTH_LIMIT})(*LIMIT_HEAP={HEAP_LIMIT_KIB})"
#: A start-of-pattern item, such as ``(*UTF)`` or ``(*LIMIT_MATCH=10)``.
_START_ITEM = re.compile(r"\(\*([A-Za-z_]+)(?:=[^)]*)?\)")


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


def refused_verb(pattern: str) -> str | None:
    """The first start-of-pattern item of ``pattern`` that a user may not give, or None.

    ``(*NO_JIT)``, ``(*NO_START_OPT)``, ``(*NO_AUTO_POSSESS)``,
    ``(*NO_DOTSTAR_ANCHOR)`` (any ``(*NO_...)``) switch PCRE2's optimisations off
    and make every search cost its whole match budget; ``(*LIMIT_MATCH=)``,
    ``(*LIMIT_DEPTH=)``, ``(*LIMIT_HEAP=)`` and ``(*LIMIT_RECURSION=)`` would
    replace the server's limits (the last setting wins). Other items
    (``(*UTF)``, ``(*UCP)``, newline conventions) are allowed.
    """
    position = 0
    while True:
        item = _START_ITEM.match(pattern, position)
        if item is None:
            return None
        name = item.group(1).upper()
        if name.startswith(("NO_", "LIMIT_")):
            return item.group(0)
        position = item.end()


def compile_user_pcre(pattern: str) -> pcre2.Pattern:
    """Compile a pattern a client sent, with the server's match, depth and heap limits.

    The ``pcre2`` binding builds its match context without limits (it exposes
    only a callout there), so the limits travel in the compiled pattern as
    PCRE2's own start-of-pattern settings, which PCRE2 applies to every
    search under its default match context (JIT honours the match limit; the
    interpreter all three). Items that would switch optimisations off or
    raise the limits are refused (:func:`refused_verb`). Raises
    :class:`PcreError`.
    """
    verb = refused_verb(pattern)
    if verb is not None:
        raise PcreError(f"{verb} is not allowed: it switches off PCRE2's optimisations "
                        f"or limits")
    try:
        return compile_pcre(_LIMITS + pattern)
    except PcreError:
        # Compiled alone, so that the error's offset is the client's own.
        compile_pcre(pattern)
        raise


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
