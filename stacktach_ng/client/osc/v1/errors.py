"""``openstack stacktach error list|show``: failures grouped by
fingerprint."""

from stacktach_ng.client.osc.v1 import base
from stacktach_ng.client.osc.v1 import render

COLUMNS = ('fingerprint', 'count', 'exception', 'message', 'last_seen')
LONG_COLUMNS = ('first_seen', 'operations', 'services', 'hosts',
                'sample_requests')
EVENT_COLUMNS = ('generated_at', 'event_type', 'host', 'request_id',
                 'resource_id', 'message')


class _ListOfNames(render.JsonColumn):
    def human_readable(self):
        return ', '.join(str(value) for value in self._value or [])


class ListError(base.ListCommand):
    """List errors grouped by fingerprint (exception and message with ids
    and numbers masked), most recently seen first."""

    columns = COLUMNS
    long_columns = LONG_COLUMNS
    formatters = {name: _ListOfNames for name in LONG_COLUMNS[1:]}

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--operation', metavar='<operation>',
            help='Only errors of this operation (instance.create)')
        parser.add_argument(
            '--host', metavar='<host>', help='Only errors on this host')
        base.add_time_range(parser)
        base.add_scope(parser)
        return parser

    def fetch(self, parsed_args, paging):
        return self.client.errors(
            operation=parsed_args.operation, host=parsed_args.host,
            **base.time_filters(parsed_args),
            **base.scope_filters(parsed_args), **paging)


class _Events(render.JsonColumn):
    def human_readable(self):
        return '\n'.join('  '.join(str(event.get(name) or '')
                                   for name in EVENT_COLUMNS).rstrip()
                         for event in self._value or [])


class ShowError(base.ShowCommand):
    """Show an error group: its exception, message, counts, hosts and its
    latest occurrences."""

    leading = ('fingerprint', 'exception', 'message', 'count',
               'first_seen', 'last_seen')
    formatters = {'events': _Events, 'operations': _ListOfNames,
                  'services': _ListOfNames, 'hosts': _ListOfNames,
                  'sample_requests': _ListOfNames}

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('fingerprint', metavar='<fingerprint>',
                            help='Fingerprint of the error group (from '
                                 '"error list")')
        parser.add_argument(
            '--events', metavar='<n>', type=base.positive_int,
            help='Show the <n> latest occurrences (default: the API\'s, '
                 '100)')
        base.add_time_range(parser)
        return parser

    def fetch(self, parsed_args):
        return self.client.error(parsed_args.fingerprint,
                                 limit=parsed_args.events,
                                 **base.time_filters(parsed_args))
