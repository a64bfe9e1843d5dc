"""The roll-ups' quantile sketch against exact nearest-rank values."""

import random

import pytest

from stacktach_ng.analyses import rollups
from stacktach_ng.queries import timings


def _hours(seed, hours, per_hour):
    source = random.Random(seed)
    # Durations like operations': log-normal around ten seconds, a few
    # instant ones and a few from a clock that went back.
    out = []
    for _hour in range(hours):
        values = [int(source.lognormvariate(16, 1.2))
                  for _ in range(per_hour)]
        values[source.randrange(per_hour)] = 0
        values[source.randrange(per_hour)] = -source.randrange(1, 10 ** 6)
        out.append(values)
    return out


@pytest.mark.parametrize('seed,hours,per_hour', [
    (1, 1, 1), (2, 1, 7), (3, 24, 50), (4, 720, 20), (5, 3, 2000)])
def test_merged_hours_are_within_one_percent(seed, hours, per_hour):
    data = _hours(seed, hours, per_hour)
    merged = rollups.empty_bins()
    for values in data:
        bins = rollups.empty_bins()
        for value in values:
            rollups.add_duration(bins, value)
        # Stored as text, read back and merged, as the summary does.
        rollups.merge_bins(merged, rollups.decode(rollups.encode(bins)))
    every = sorted(v for values in data for v in values)
    got = rollups.percentiles(merged, (50, 95, 99), every[0], every[-1])
    for percent in (50, 95, 99):
        exact = timings.percentile(every, percent)
        assert abs(got[percent] - exact) <= 0.01 * abs(exact), percent


def test_empty_bins_have_no_percentiles():
    assert rollups.percentiles(rollups.empty_bins(), (50,), None, None) == {
        50: None}


def test_encoding_is_stable_and_round_trips():
    first, second = rollups.empty_bins(), rollups.empty_bins()
    for value in (5, 1000, 7, -3, 0, 1000):
        rollups.add_duration(first, value)
    for value in reversed((5, 1000, 7, -3, 0, 1000)):
        rollups.add_duration(second, value)
    assert rollups.encode(first) == rollups.encode(second)
    assert rollups.decode(rollups.encode(first)) == first


@pytest.mark.parametrize('seed,hours,per_hour', [
    (6, 1, 1), (7, 24, 50), (8, 720, 20)])
def test_texts_merged_in_one_parse_are_the_bins_of_every_duration(
        seed, hours, per_hour):
    data = _hours(seed, hours, per_hour)
    texts = []
    for values in data:
        bins = rollups.empty_bins()
        for value in values:
            rollups.add_duration(bins, value)
        texts.append(rollups.encode(bins))
    merged = rollups.empty_bins()
    rollups.merge_texts(merged, texts)
    # A bin's count is the number of durations mapped to its key, in
    # whatever cell they were counted: the bins of every duration counted
    # at once are the merged ones.
    every = [value for values in data for value in values]
    direct = rollups.empty_bins()
    for value in every:
        rollups.add_duration(direct, value)
    assert merged == direct
    assert merged['z'] == sum(1 for value in every if value == 0)
    assert (merged['z'] + sum(merged['p'].values())
            + sum(merged['n'].values())) == len(every)


def test_merging_no_text_leaves_the_bins_alone():
    bins, expected = rollups.empty_bins(), rollups.empty_bins()
    rollups.add_duration(bins, 42)
    rollups.add_duration(expected, 42)
    rollups.merge_texts(bins, [])
    assert bins == expected
