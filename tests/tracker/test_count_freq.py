"""A device's per-frequency packet counts (``kismet.device.base.freq_khz_map``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kismet_tx.tracker.dot11state import count_freq


def _as_table(freqs: list[int]) -> dict[int, int]:
    return dict(zip(freqs[0::2], freqs[1::2], strict=True))


# Small numbers, so that counts often equal a frequency in the list.
_PAIRS = st.lists(st.tuples(st.integers(0, 12), st.integers(1, 12)), unique_by=lambda p: p[0])


@given(_PAIRS, st.lists(st.integers(0, 12), max_size=30))
def test_counts_as_a_table_of_frequencies_would(pairs: list[tuple[int, int]],
                                                 heard: list[int]) -> None:
    freqs = [value for pair in pairs for value in pair]
    table = dict(pairs)
    for khz in heard:
        count_freq(freqs, khz)
        table[khz] = table.get(khz, 0) + 1
    assert _as_table(freqs) == table
    # New frequencies are added at the end, in the order first heard.
    assert freqs[0::2] == list(table)


def test_a_count_equal_to_the_frequency_is_not_mistaken_for_it() -> None:
    freqs = [2412000, 5, 5, 2412000]
    count_freq(freqs, 2412000)
    assert freqs == [2412000, 6, 5, 2412000]
    freqs = [1, 3, 3, 4]
    count_freq(freqs, 3)
    assert freqs == [1, 3, 3, 5]
    freqs = [1, 7, 2, 7]
    count_freq(freqs, 7)
    assert freqs == [1, 7, 2, 7, 7, 1]
