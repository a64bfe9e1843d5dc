"""``openstack stacktach timing list|summary``: operation durations."""

from stacktach_ng.client.osc.v1 import base
from stacktach_ng.client.osc.v1 import render

COLUMNS = ('id', 'operation', 'outcome', 'duration_us', 'started_at',
           'host', 'resource_id')
LONG_COLUMNS = ('family', 'ended_at', 'end_host', 'service',
                'resource_type', 'request_id', 'project_id', 'age_us')
FILTERS = (
    ('operation', 'Operation (instance.create), or a glob (instance.*)'),
    ('host', 'Host where the operation started or ended'),
    ('resource_id', 'Resource id'),
    ('request_id', 'Request id'),
)
STATISTICS = ('count', 'errors', 'min_us', 'p50_us', 'p95_us', 'p99_us',
              'max_us')
_US = {name: render.MicrosecondsColumn
       for name in ('duration_us', 'age_us') + STATISTICS[2:]}
TIME_GROUPS = ('hour', 'day')
GROUP_BY = ('operation', 'host', 'service') + TIME_GROUPS


class ListTiming(base.ListCommand):
    """List operations (a start paired with its end or error) with their
    duration and outcome, latest first; open ones included."""

    columns = COLUMNS
    long_columns = LONG_COLUMNS
    formatters = _US

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_filters(parser, FILTERS)
        parser.add_argument(
            '--outcome', choices=('success', 'error', 'open'),
            help='Only operations with this outcome')
        base.add_time_range(parser, 'started')
        base.add_scope(parser)
        return parser

    def fetch(self, parsed_args, paging):
        filters = base.named_filters(parsed_args, FILTERS)
        filters.update(base.time_filters(parsed_args))
        filters.update(base.scope_filters(parsed_args))
        return self.client.timings(outcome=parsed_args.outcome, **filters,
                                   **paging)


class SummaryTiming(base.ListCommand):
    """Duration statistics per operation (and host, service or time
    bucket) of the operations that ended in a period: count, errors,
    min, p50, p95, p99, max."""

    paged = False
    formatters = _US

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--operation', metavar='<operation>',
            help='Only this operation, or a glob (instance.*)')
        parser.add_argument(
            '--group-by', metavar='<field>', action='append',
            choices=GROUP_BY, dest='group_by',
            help='Group by operation (the default), host or service, '
                 'and by hour or day (the same as --bucket 1h or 1d); '
                 'repeat to group by several')
        parser.add_argument(
            '--bucket', metavar='<duration>', type=base.parse_seconds,
            help='Also group by time bucket of this size (3600, 1h, 1d...)')
        base.add_time_range(parser, 'ended')
        base.add_scope(parser)
        return parser

    def take_action(self, parsed_args):
        group_by = [key for key in parsed_args.group_by or ['operation']
                    if key not in TIME_GROUPS] or ['operation']
        by_time = parsed_args.bucket or set(TIME_GROUPS).intersection(
            parsed_args.group_by or ())
        self.columns = tuple(group_by) + (
            ('bucket',) if by_time else ()) + STATISTICS
        return super().take_action(parsed_args)

    def fetch(self, parsed_args, paging):
        body = self.client.timing_summary(
            operation=parsed_args.operation,
            group_by=','.join(parsed_args.group_by or ['operation']),
            bucket=parsed_args.bucket, **base.time_filters(parsed_args),
            **base.scope_filters(parsed_args))
        return body.get('summary', body.get('items', []))
