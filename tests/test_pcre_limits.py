"""User regexes: PCRE2 limits travel with the pattern, and verbs that lift them are refused."""

from __future__ import annotations

import pytest

from kismet_tx.pcre import PcreError, compile_user_pcre, pcre_search, refused_verb


@pytest.mark.parametrize("pattern", ["(*NO_JIT)a", "(*NO_START_OPT)a", "(*NO_AUTO_POSSESS)a",
                                     "(*NO_DOTSTAR_ANCHOR)a", "(*LIMIT_MATCH=99999999)a",
                                     "(*LIMIT_DEPTH=99999999)a", "(*LIMIT_HEAP=99999999)a",
                                     "(*LIMIT_RECURSION=9)a", "(*UTF)(*CRLF)(*NO_JIT)a"])
def test_verbs_that_lift_limits_or_optimisations_are_refused(pattern: str) -> None:
    assert refused_verb(pattern) is not None
    with pytest.raises(PcreError, match="not allowed"):
        compile_user_pcre(pattern)


@pytest.mark.parametrize("pattern", ["(*UTF)a", "(*UCP)\\w", "(*CRLF)a", "a(*NO_JIT)"])
def test_other_start_items_and_late_verbs_are_not_refused(pattern: str) -> None:
    assert refused_verb(pattern) is None


def test_a_catastrophic_search_stops_at_the_match_limit_as_no_match() -> None:
    # Without limits PCRE2 spends its default budget of 10,000,000 steps here.
    compiled = compile_user_pcre("(.+)+[QR]")
    assert pcre_search(compiled, "00:0C:41:82:B2:55" * 4) is False
    assert pcre_search(compile_user_pcre("(.+)+[QR]"), "00:0C:Q") is True


def test_compile_errors_name_the_clients_own_offset() -> None:
    with pytest.raises(PcreError, match="at position 4"):
        compile_user_pcre("(abc")
