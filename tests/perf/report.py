"""Figures of a benchmark run: latency statistics, a table, a JSON file.

Every benchmark returns a ``Results``: the measured rows plus what is
needed to judge them (the command line, the machine's load before and
after, the versions). Ratios are computed from figures measured in the
same run, because the absolute numbers depend on the machine and on what
else runs on it.
"""

import datetime
import json
import os
import platform
import sys

from stacktach_ng import version
from stacktach_ng.queries import timings

_MS = 1000.0


def latency_summary(seconds):
    """{count, mean_ms, p50_ms, p95_ms, p99_ms, max_ms} of durations given
    in seconds (nearest-rank percentiles, as the timings analysis uses)."""
    values = sorted(seconds)
    if not values:
        return {'count': 0, 'mean_ms': None, 'p50_ms': None,
                'p95_ms': None, 'p99_ms': None, 'max_ms': None}
    return {
        'count': len(values),
        'mean_ms': round(sum(values) / len(values) * _MS, 3),
        'p50_ms': round(timings.percentile(values, 50) * _MS, 3),
        'p95_ms': round(timings.percentile(values, 95) * _MS, 3),
        'p99_ms': round(timings.percentile(values, 99) * _MS, 3),
        'max_ms': round(values[-1] * _MS, 3),
    }


def rate(count, seconds):
    """Items per second, or None when nothing was timed."""
    if not seconds or seconds <= 0:
        return None
    return count / seconds


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _cell(value):
    if value is None:
        return '-'
    if isinstance(value, bool):
        return 'yes' if value else 'NO'
    if isinstance(value, float):
        if abs(value) >= 100:
            return '%.0f' % value
        if abs(value) >= 10:
            return '%.1f' % value
        return '%.2f' % value
    return str(value)


def format_table(columns, rows):
    """A plain-text table: ``columns`` is a list of (key, title), ``rows``
    a list of dicts; missing values print as ``-``."""
    cells = [[title for _key, title in columns]]
    for row in rows:
        cells.append([_cell(row.get(key)) for key, _title in columns])
    widths = [max(len(line[i]) for line in cells)
              for i in range(len(columns))]
    lines = []
    for number, line in enumerate(cells):
        # Text left, figures right, as a reader scans them.
        pairs = enumerate(zip(line, widths, strict=True))
        lines.append('  '.join(
            text.ljust(width) if number == 0 or i == 0
            else text.rjust(width)
            for i, (text, width) in pairs).rstrip())
        if number == 0:
            lines.append('  '.join('-' * width for width in widths))
    return '\n'.join(lines)


def load_average():
    """The 1, 5 and 15 minute load averages (None where unknown)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


class Results:
    """Rows of one benchmark run, with the context needed to read them."""

    def __init__(self, benchmark, parameters=None, argv=None):
        self.benchmark = benchmark
        self.parameters = dict(parameters or {})
        self.rows = []
        self.checks = []
        self.notes = []
        # Further figures of a benchmark (profiles...), kept in the JSON.
        self.extra = {}
        self.command = ' '.join(argv if argv is not None else sys.argv)
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        self.load_before = load_average()
        self.load_after = None

    def add(self, **row):
        self.rows.append(row)
        return row

    def check(self, name, value, target, passed):
        """Record a quality bar: the measured value against its target."""
        self.checks.append({'name': name, 'value': value, 'target': target,
                            'passed': bool(passed)})

    def note(self, text):
        self.notes.append(text)

    def finish(self):
        self.load_after = load_average()

    def as_dict(self):
        return {
            'benchmark': self.benchmark,
            'command': self.command,
            'started_at': self.started_at.isoformat(timespec='seconds'),
            'machine': {
                'cpus': os.cpu_count(),
                'load_before': self.load_before,
                'load_after': self.load_after,
                'python': platform.python_version(),
                'platform': platform.platform(),
                'stacktach_ng': version.version_info.version_string(),
            },
            'parameters': self.parameters,
            'rows': self.rows,
            'checks': self.checks,
            'notes': self.notes,
            'extra': self.extra,
        }

    def text(self, columns):
        """The report for a terminal: parameters, the table, the checks."""
        lines = ['%s benchmark  (load average before %s, after %s; %s '
                 'CPUs)' % (self.benchmark, _loads(self.load_before),
                            _loads(self.load_after), os.cpu_count())]
        if self.parameters:
            lines.append('  ' + ', '.join(
                '%s=%s' % item for item in sorted(self.parameters.items())))
        lines.append('')
        lines.append(format_table(columns, self.rows))
        if self.checks:
            lines.append('')
            for check in self.checks:
                lines.append('%-4s %s: %s (target %s)' % (
                    'PASS' if check['passed'] else 'MISS', check['name'],
                    _cell(check['value']), check['target']))
        for text in self.notes:
            lines.append('note: %s' % text)
        return '\n'.join(lines)

    def write_json(self, path):
        with open(path, 'w', encoding='utf-8') as output:
            json.dump(self.as_dict(), output, indent=2, sort_keys=True,
                      default=str)
            output.write('\n')


def _loads(values):
    if not values:
        return '?'
    return '/'.join('%.2f' % value for value in values)
