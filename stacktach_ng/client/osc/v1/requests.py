"""``openstack stacktach request list|show``: requests and their traces."""

from stacktach_ng.client.osc.v1 import base
from stacktach_ng.client.osc.v1 import render

COLUMNS = ('request_id', 'operation', 'outcome', 'duration_us',
           'started_at', 'service', 'host')
LONG_COLUMNS = ('global_request_id', 'project_id', 'first_event_type',
                'ended_at', 'last_at', 'notifications')


class ListRequest(base.ListCommand):
    """List recent requests with their operation, duration and outcome,
    most recent first."""

    columns = COLUMNS
    long_columns = LONG_COLUMNS
    formatters = {'duration_us': render.MicrosecondsColumn}

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--operation', metavar='<operation>',
            help='Only requests performing this operation '
                 '(instance.create)')
        parser.add_argument(
            '--outcome', choices=('success', 'error', 'open'),
            help='Only requests that ended well, failed, or are still open')
        base.add_time_range(parser, 'started')
        base.add_scope(parser)
        return parser

    def fetch(self, parsed_args, paging):
        return self.client.requests(
            operation=parsed_args.operation, outcome=parsed_args.outcome,
            **base.time_filters(parsed_args),
            **base.scope_filters(parsed_args), **paging)


class ShowRequest(base.ShowCommand):
    """Show the trace of a request: its spans as an indented tree with
    durations, the critical path marked * and failures marked !.

    A request id of any service works, and so does a global request id:
    the trace gathers every request of the same global request.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('request_id', metavar='<request-id>',
                            help='Request id (req-...) or global request '
                                 'id')
        return parser

    def take_action(self, parsed_args):
        trace = self.client.request(parsed_args.request_id)
        return trace_display(trace)


def trace_display(trace):
    """ShowOne's ``(columns, data)`` of a trace: the summary fields, the
    requests it gathers, and the span tree."""
    fields = ('request_id', 'global_request_id', 'outcome', 'duration_us',
              'started_at', 'ended_at', 'span_count')
    columns = [name for name in fields if name in trace]
    data = [render.MicrosecondsColumn(trace[name])
            if name == 'duration_us' else trace[name] for name in columns]
    columns.append('requests')
    data.append(_RequestsColumn(trace.get('requests') or []))
    columns.append('spans')
    data.append(render.SpanTreeColumn(
        (trace.get('root'), trace.get('critical_path') or [])))
    columns.append('critical_path')
    data.append(_PathColumn(trace.get('critical_path') or []))
    return tuple(columns), tuple(data)


class _RequestsColumn(render.JsonColumn):
    """The requests of a trace: ``request_id service@host outcome``."""

    def human_readable(self):
        lines = []
        for request in self._value or []:
            where = '@'.join(part for part in (request.get('service'),
                                               request.get('host')) if part)
            lines.append('  '.join(part for part in (
                request.get('request_id'), where,
                request.get('operation') or '', request.get('outcome'))
                if part))
        return '\n'.join(lines)


class _PathColumn(render.JsonColumn):
    """Span ids of the critical path, root first."""

    def human_readable(self):
        return ' > '.join(str(span_id) for span_id in self._value or [])
