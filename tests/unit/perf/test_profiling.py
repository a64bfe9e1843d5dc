"""Stage timing of the pipeline in the benchmarks."""

import cProfile
import time

from tests.perf import profiling


class _Handler:
    def __init__(self, name, pause):
        self.name = name
        self.pause = pause

    def process(self, connection, records):
        time.sleep(self.pause)
        return records


class _Pipeline:
    def __init__(self):
        self.handlers = [_Handler('notifications', 0.02),
                         _Handler('usage', 0.01)]

    def prepare(self, items):
        time.sleep(0.01)
        return items

    def store(self, records):
        for handler in self.handlers:
            records = handler.process(None, records)
        time.sleep(0.01)
        return len(records)


def test_stage_timer_accounts_each_stage():
    pipeline = _Pipeline()
    timer = profiling.StageTimer(pipeline)
    started = time.perf_counter()
    assert pipeline.store(pipeline.prepare([1, 2])) == 2
    total = time.perf_counter() - started + 0.05
    rows = {row['stage']: row for row in timer.rows(total, 2)}
    assert rows['handler notifications']['seconds'] >= 0.02
    assert rows['handler usage']['seconds'] >= 0.01
    assert rows['normalize']['seconds'] >= 0.01
    # What store spent outside the handlers is the transaction's share.
    assert rows['transaction begin/commit']['seconds'] >= 0.01
    assert rows['transaction begin/commit']['seconds'] < 0.02 + 0.05
    # The rest of the run is reading the input.
    assert rows['reading, parsing, batching']['seconds'] >= 0.04
    assert abs(sum(row['share'] for row in rows.values()) - 1.0) < 0.01
    assert rows['handler notifications']['us_per_message'] >= 10000


def test_top_functions_sorted_by_own_time():
    profile = cProfile.Profile()
    profile.enable()
    time.sleep(0.01)
    sum(range(1000))
    profile.disable()
    rows = profiling.top_functions(profile, limit=3)
    assert len(rows) <= 3
    assert rows == sorted(rows, key=lambda row: -row['own_s'])
    assert any('sleep' in row['function'] for row in rows)
