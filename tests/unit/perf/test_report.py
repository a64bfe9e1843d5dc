"""The figures and the report of the benchmarks."""

import json

from tests.perf import report


def test_latency_summary_uses_nearest_rank_percentiles():
    # 1..100 ms: nearest rank p50 is the 50th value, p95 the 95th.
    seconds = [n / 1000.0 for n in range(100, 0, -1)]
    summary = report.latency_summary(seconds)
    assert summary['count'] == 100
    assert summary['p50_ms'] == 50.0
    assert summary['p95_ms'] == 95.0
    assert summary['p99_ms'] == 99.0
    assert summary['max_ms'] == 100.0
    assert summary['mean_ms'] == 50.5


def test_latency_summary_of_few_values():
    summary = report.latency_summary([0.002, 0.010])
    # With two values the p95 is the larger one, never an interpolation.
    assert summary['p95_ms'] == 10.0
    assert summary['p50_ms'] == 2.0


def test_latency_summary_of_nothing():
    summary = report.latency_summary([])
    assert summary['count'] == 0
    assert summary['p95_ms'] is None


def test_rate_and_ratio():
    assert report.rate(1000, 4.0) == 250.0
    assert report.rate(1000, 0) is None
    assert report.ratio(900.0, 1000.0) == 0.9
    assert report.ratio(None, 1000.0) is None
    assert report.ratio(900.0, 0) is None


def test_format_table_aligns_columns():
    text = report.format_table(
        [('name', 'consumer'), ('rate', 'msgs/s'), ('ok', 'met')],
        [{'name': 'noop', 'rate': 2712.4, 'ok': True},
         {'name': 'listener', 'rate': 9.125, 'ok': False},
         {'name': 'single'}])
    lines = text.splitlines()
    assert lines[0].split() == ['consumer', 'msgs/s', 'met']
    assert set(lines[1].replace(' ', '')) == {'-'}
    # Figures are right-aligned and rounded to what a reader needs.
    assert lines[2].split() == ['noop', '2712', 'yes']
    assert lines[3].split() == ['listener', '9.12', 'NO']
    assert lines[4].split() == ['single', '-', '-']
    assert len({len(line) for line in lines[:4]}) == 1


def test_results_checks_text_and_json(tmp_path):
    results = report.Results('ingest', {'count': 10},
                             argv=['python -m tests.perf', 'ingest'])
    results.add(name='noop', rate=100.0)
    results.check('ratio', 0.95, '>= 0.90', True)
    results.check('times', 3.0, '>= 5.0', False)
    results.note('a note')
    results.finish()
    text = results.text([('name', 'consumer'), ('rate', 'msgs/s')])
    assert 'PASS ratio: 0.95 (target >= 0.90)' in text
    assert 'MISS times: 3.00 (target >= 5.0)' in text
    assert 'note: a note' in text
    path = tmp_path / 'results.json'
    results.write_json(str(path))
    written = json.loads(path.read_text())
    assert written['command'] == 'python -m tests.perf ingest'
    assert written['rows'] == [{'name': 'noop', 'rate': 100.0}]
    assert [check['passed'] for check in written['checks']] == [True, False]
    assert written['parameters'] == {'count': 10}
    assert written['machine']['cpus'] >= 1
