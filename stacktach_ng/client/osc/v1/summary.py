"""``openstack stacktach summary``: counts and KPIs of a period."""

from stacktach_ng.client.osc.v1 import base
from stacktach_ng.client.osc.v1 import render

#: Rows of a breakdown shown in a table (JSON gets them all).
TABLE_ROWS = 15


def _rate(value):
    return '%.2f%%' % (100.0 * value) if value is not None else ''


def breakdown_lines(items, rows=TABLE_ROWS):
    """``{<name>, notifications, errors, error_rate}`` items as aligned
    lines, the largest first as the API sorts them."""
    lines = []
    for item in items[:rows]:
        name = next((value for key, value in item.items() if key not in (
            'notifications', 'errors', 'error_rate', 'start')), None)
        name = item.get('start', name)
        lines.append('%-40s %8s %6s %8s' % (
            name if name is not None else '-', item.get('notifications'),
            item.get('errors'), _rate(item.get('error_rate'))))
    if len(items) > rows:
        lines.append('... %d more (-f json shows all)' % (len(items) - rows))
    return lines


def latency_lines(items):
    """Request latency statistics per operation."""
    lines = []
    for item in items:
        lines.append('%-30s n=%-6s p50 %-8s p95 %-8s p99 %-8s max %s' % (
            item.get('operation') or '-', item.get('count'),
            *(render.format_duration(
                item[key] / 1e6 if item.get(key) is not None else None)
              for key in ('p50_us', 'p95_us', 'p99_us', 'max_us'))))
    return lines


class BreakdownColumn(render.JsonColumn):
    def human_readable(self):
        return '\n'.join(breakdown_lines(self._value or []))


class LatencyColumn(render.JsonColumn):
    def human_readable(self):
        return '\n'.join(latency_lines(self._value or []))


class RateColumn(render.JsonColumn):
    def human_readable(self):
        return _rate(self._value)


class ShowSummary(base.ShowCommand):
    """Show notification counts per event type, service, host and time
    bucket, error rates and request latency over a period (the last day
    unless --since/--until say otherwise)."""

    leading = ('since', 'until', 'notifications', 'errors', 'error_rate')
    trailing = ('by_service', 'by_host', 'by_event_type', 'buckets',
                'request_latency')
    formatters = {'error_rate': RateColumn,
                  'by_service': BreakdownColumn,
                  'by_host': BreakdownColumn,
                  'by_event_type': BreakdownColumn,
                  'buckets': BreakdownColumn,
                  'request_latency': LatencyColumn}

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_time_range(parser)
        parser.add_argument(
            '--bucket', metavar='<duration>', type=base.parse_seconds,
            help='Width of the time buckets (3600, 1h, 1d...; default one '
                 'hour)')
        base.add_scope(parser)
        return parser

    def fetch(self, parsed_args):
        return self.client.summary(bucket=parsed_args.bucket,
                                   **base.time_filters(parsed_args),
                                   **base.scope_filters(parsed_args))
