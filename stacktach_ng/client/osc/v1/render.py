"""Text renderings for the terminal: JSON documents, durations, the span
tree of a trace and the state timeline of a resource.

Each rendering is a cliff ``FormattableColumn``: the table and value
formatters print the human text, the JSON and YAML formatters get the
API's data untouched, so ``-f json`` stays machine-readable.
"""

import json

from cliff import columns


def format_duration(seconds):
    """``0.0005`` -> ``500us``, ``0.042`` -> ``42ms``, ``3.5`` ->
    ``3.50s``, ``125`` -> ``2m05s``, ``7384`` -> ``2h03m``; None -> ``''``
    (still open)."""
    if seconds is None or seconds == '':
        return ''
    seconds = float(seconds)
    if seconds < 0.001:
        return '%dus' % round(seconds * 1000000)
    if seconds < 1:
        return '%dms' % round(seconds * 1000)
    if seconds < 60:
        return '%.2fs' % seconds
    if seconds < 3600:
        minutes, rest = divmod(int(round(seconds)), 60)
        return '%dm%02ds' % (minutes, rest)
    hours, rest = divmod(int(round(seconds)), 3600)
    if hours < 48:
        return '%dh%02dm' % (hours, rest // 60)
    days, hours = divmod(hours, 24)
    return '%dd%02dh' % (days, hours)


class JsonColumn(columns.FormattableColumn):
    """A nested document: indented JSON in a table, as is in JSON/YAML."""

    def human_readable(self):
        if self._value is None:
            return ''
        return json.dumps(self._value, indent=2, sort_keys=True,
                          default=str)

    def machine_readable(self):
        return self._value


class DurationColumn(columns.FormattableColumn):
    """Seconds: ``2m05s`` in a table, the number in JSON/YAML."""

    def human_readable(self):
        return format_duration(self._value)

    def machine_readable(self):
        return self._value


# -- the span tree of a trace --------------------------------------------

CRITICAL_MARK = '*'
ERROR_MARK = '!'
OPEN_OUTCOME = 'open'


def _label(span):
    if span.get('kind') == 'request':
        # A request span stands for a whole service's request: its id is
        # what the reader greps the logs for.
        name = 'request %s' % span.get('request_id')
    else:
        name = span.get('operation') or span.get('kind') or '?'
    where = '@'.join(part for part in (span.get('service'),
                                       span.get('host')) if part)
    return '%s [%s]' % (name, where) if where else name


def _error_text(span):
    """The first error notification of a span, as ``event_type``."""
    for notification in span.get('notifications') or ():
        if notification.get('priority') in ('ERROR', 'CRITICAL') or (
                notification.get('event_type') or '').endswith('.error'):
            return notification.get('event_type')
    return None


def span_tree_lines(root, critical_path=()):
    """A trace's span tree as indented lines, one span each::

        *    12.30s  request req-1 [compute@api-1]
        *     1.20s    scheduler.select_destinations [scheduler@sched-1]
         !  300ms    volume.attach [volume@vol-1]  ERROR volume.attach.error

    The first two characters mark the critical path (``*``) and failed
    spans (``!``), then comes the duration (``open`` while it runs); a
    failed span names its first error notification.

    :param root: the root span (``id``, ``operation``, ``service``,
        ``host``, ``duration_us``, ``outcome``, ``notifications``,
        ``children``).
    :param critical_path: the ids of the spans on the critical path.
    """
    critical = set(critical_path)
    lines = []

    def walk(span, depth):
        outcome = span.get('outcome')
        failed = outcome == 'error'
        mark = ((CRITICAL_MARK if span.get('id') in critical else ' ')
                + (ERROR_MARK if failed else ' '))
        duration = span.get('duration_us')
        shown = (format_duration(duration / 1e6) if duration is not None
                 else (outcome or ''))
        line = '%s %8s  %s%s' % (mark, shown, '  ' * depth, _label(span))
        if failed:
            line += '  ERROR'
            error = _error_text(span)
            if error:
                line += ' %s' % error
        lines.append(line)
        for child in span.get('children') or ():
            walk(child, depth + 1)

    if root:
        walk(root, 0)
    return lines


class SpanTreeColumn(columns.FormattableColumn):
    """A trace: ``(root span, critical path)`` shown as an indented tree
    in a table; the root span itself in JSON/YAML."""

    def human_readable(self):
        root, critical_path = self._value
        return '\n'.join(span_tree_lines(root, critical_path))

    def machine_readable(self):
        return self._value[0]


# -- the state timeline of a resource ------------------------------------

def _value(value):
    return '-' if value is None else str(value)


def timeline_lines(transitions):
    """The state transitions of a resource, one line each in time
    order::

        2026-01-01T00:00:01  task_state  scheduling -> networking
            compute.instance.update  compute@api-1  req-1
    """
    lines = []
    for transition in transitions:
        where = '@'.join(part for part in (transition.get('service'),
                                           transition.get('host')) if part)
        parts = ['%-26s' % (transition.get('at') or ''),
                 '%-11s' % (transition.get('field') or ''),
                 '%s -> %s' % (_value(transition.get('from')),
                               _value(transition.get('to')))]
        parts += [part for part in (transition.get('event_type'), where)
                  if part]
        lines.append('  '.join(parts))
    return lines


def task_state_lines(task_states, width=30):
    """Time spent in each task state, as a bar chart in time order::

        scheduling             1.20s  ##
        networking             4.10s  #######
        spawning              12.30s  #####################
        -                   (current)
    """
    durations = [interval.get('duration_us') or 0
                 for interval in task_states]
    longest = max(durations, default=0) or 1
    lines = []
    for interval, duration in zip(task_states, durations, strict=True):
        name = _value(interval.get('task_state'))
        if interval.get('duration_us') is None:
            lines.append('%-20s %9s' % (name, '(current)'))
            continue
        bar = '#' * max(1, round(width * duration / longest))
        lines.append('%-20s %9s  %s' % (name,
                                        format_duration(duration / 1e6),
                                        bar))
    return lines


def operation_lines(operations):
    """Operations of a resource: name, outcome, duration, request."""
    lines = []
    for operation in operations:
        duration = operation.get('duration_us')
        lines.append('  '.join(str(part) for part in (
            '%-28s' % (operation.get('operation') or ''),
            '%-7s' % (operation.get('outcome') or ''),
            '%9s' % (format_duration(duration / 1e6)
                     if duration is not None else ''),
            operation.get('started_at') or '',
            operation.get('request_id') or '')).rstrip())
    return lines


def fault_lines(faults):
    """Faults of a resource: time, event type, exception, message."""
    lines = []
    for fault in faults:
        message = (fault.get('message') or '').splitlines()
        lines.append('  '.join(part for part in (
            fault.get('generated_at'), fault.get('event_type'),
            fault.get('exception'), message[0][:120] if message else '')
            if part))
    return lines


class _LinesColumn(columns.FormattableColumn):
    """A list shown as lines of text in a table, as is in JSON/YAML."""

    @staticmethod
    def lines(value):
        raise NotImplementedError

    def human_readable(self):
        return '\n'.join(self.lines(self._value or []))

    def machine_readable(self):
        return self._value


class TimelineColumn(_LinesColumn):
    """State transitions of a resource."""

    lines = staticmethod(timeline_lines)


class TaskStatesColumn(_LinesColumn):
    """Task-state intervals of a resource."""

    lines = staticmethod(task_state_lines)


class OperationsColumn(_LinesColumn):
    """Operations of a resource or request."""

    lines = staticmethod(operation_lines)


class FaultsColumn(_LinesColumn):
    """Faults (error events) of a resource."""

    lines = staticmethod(fault_lines)


class MicrosecondsColumn(columns.FormattableColumn):
    """A duration in microseconds: ``2m05s`` in a table, the number in
    JSON/YAML."""

    def human_readable(self):
        if self._value is None:
            return ''
        return format_duration(self._value / 1e6)

    def machine_readable(self):
        return self._value


class MicrosecondsMapColumn(columns.FormattableColumn):
    """``{name: microseconds}``: one ``name  duration`` line each."""

    def human_readable(self):
        return '\n'.join('%-20s %9s' % (name, format_duration(us / 1e6))
                         for name, us in (self._value or {}).items())

    def machine_readable(self):
        return self._value
