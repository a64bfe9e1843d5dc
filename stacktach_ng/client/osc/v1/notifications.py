"""``openstack stacktach notification list|show``."""

from stacktach_ng.client.osc.v1 import base

#: Filters of ``notification list`` (and of ``watch``): API parameter,
#: help.
FILTERS = (
    ('event_type', 'Event type, or a glob (compute.instance.*, *.error: '
                   'for every error notification use --priority ERROR)'),
    ('request_id', 'Request id (req-...)'),
    ('global_request_id', 'Global request id, shared across services'),
    ('resource_id', 'Resource id (instance, image, volume... uuid)'),
    ('resource_type', 'Resource type (instance, image, volume, port...)'),
    ('service', 'Publishing service (compute, nova-compute, image...)'),
    ('host', 'Publishing host'),
    ('priority', 'Priority, in upper case: AUDIT, CRITICAL, DEBUG, ERROR, '
                 'INFO, SAMPLE, WARN, WARNING'),
    ('user_id', 'User id'),
    ('vm_state', 'VM state reported (active, building, error...)'),
    ('task_state', 'Task state reported (spawning, deleting...)'),
)

# What fits a terminal: the key, when, what, where, on what.
COLUMNS = ('message_id', 'generated_at', 'event_type', 'priority', 'host',
           'resource_id')
LONG_COLUMNS = ('service', 'received_at', 'publisher_id', 'request_id',
                'global_request_id', 'project_id', 'user_id',
                'resource_type', 'vm_state', 'task_state', 'power_state',
                'object_name', 'object_version')


class ListNotification(base.ListCommand):
    """List stored notifications, newest first."""

    columns = COLUMNS
    long_columns = LONG_COLUMNS

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_filters(parser, FILTERS)
        base.add_time_range(parser)
        base.add_scope(parser)
        parser.add_argument(
            '--sort-dir', choices=('desc', 'asc'), default=None,
            help='Order by generation time: desc (newest first, the '
                 'default) or asc')
        return parser

    def fetch(self, parsed_args, paging):
        filters = base.named_filters(parsed_args, FILTERS)
        filters.update(base.time_filters(parsed_args))
        filters.update(base.scope_filters(parsed_args))
        return self.client.notifications(sort_dir=parsed_args.sort_dir,
                                         **filters, **paging)


class ShowNotification(base.ShowCommand):
    """Show a notification with its payload and context."""

    leading = ('message_id', 'event_type', 'priority', 'publisher_id',
               'service', 'host', 'generated_at', 'received_at')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('message_id', metavar='<message-id>',
                            help='Message id of the notification')
        return parser

    def fetch(self, parsed_args):
        return self.client.notification(parsed_args.message_id)


class _ListCounts(base.ListCommand):
    """The distinct values of a notification field with their counts."""

    key = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_time_range(parser)
        base.add_scope(parser)
        return parser

    @property
    def columns(self):
        return (self.key, 'count', 'first_seen', 'last_seen')

    def fetch(self, parsed_args, paging):
        return self.client.counts(
            self.key, **base.time_filters(parsed_args),
            **base.scope_filters(parsed_args), **paging)


class ListEventType(_ListCounts):
    """List the event types seen, with their counts."""

    key = 'event_type'


class ListHost(_ListCounts):
    """List the publishing hosts seen, with their counts."""

    key = 'host'


class ListService(_ListCounts):
    """List the publishing services seen, with their counts."""

    key = 'service'
