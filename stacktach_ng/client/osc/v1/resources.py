"""``openstack stacktach resource show|list``: lifecycles."""

from osc_lib import exceptions

from stacktach_ng.client.osc.v1 import base
from stacktach_ng.client.osc.v1 import render

COLUMNS = ('resource_id', 'resource_type', 'vm_state', 'task_state',
           'power_state', 'status', 'last_seen')
LONG_COLUMNS = ('project_id', 'first_seen', 'state_at', 'state_event_type',
                'state_request_id', 'state_host')
STUCK_COLUMNS = ('resource_id', 'resource_type', 'task_state',
                 'stuck_for_us', 'operation', 'waiting_on')
STUCK_LONG_COLUMNS = ('project_id', 'since', 'vm_state', 'last_step',
                      'state_host')


def _operation_name(operation):
    return (operation or {}).get('operation') or ''


def _waiting_on(waiting):
    if not waiting:
        return ''
    return '@'.join(part for part in (waiting.get('service'),
                                      waiting.get('host')) if part)


class _Name(render.JsonColumn):
    def human_readable(self):
        return _operation_name(self._value)


class _WaitingOn(render.JsonColumn):
    def human_readable(self):
        return _waiting_on(self._value)


class ListResource(base.ListCommand):
    """List resources, most recently seen first; --stuck lists those
    stuck in an operation, longest stuck first."""

    formatters = {'stuck_for_us': render.MicrosecondsColumn,
                  'operation': _Name, 'waiting_on': _WaitingOn}

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--long', action='store_true', default=False,
            help='List more columns')
        parser.add_argument(
            '--type', metavar='<type>', dest='resource_type',
            help='Only resources of this type (instance, volume, image...)')
        parser.add_argument(
            '--stuck', action='store_true', default=False,
            help='Only resources with an operation open for longer than '
                 '--older-than whose task state has not moved either')
        parser.add_argument(
            '--older-than', metavar='<duration>', type=base.parse_seconds,
            default=None,
            help='With --stuck: how long without progress counts as stuck '
                 '(seconds, or 10m, 2h...; default: the API\'s, 600 s)')
        base.add_scope(parser)
        return parser

    def take_action(self, parsed_args):
        if parsed_args.older_than is not None and not parsed_args.stuck:
            raise exceptions.CommandError('--older-than needs --stuck')
        if parsed_args.stuck:
            self.columns, self.long_columns = (STUCK_COLUMNS,
                                               STUCK_LONG_COLUMNS)
        else:
            self.columns, self.long_columns = COLUMNS, LONG_COLUMNS
        return super().take_action(parsed_args)

    def fetch(self, parsed_args, paging):
        filters = base.scope_filters(parsed_args)
        if parsed_args.stuck:
            return self.client.stuck_resources(
                older_than=parsed_args.older_than, **filters, **paging)
        return self.client.resources(resource_type=parsed_args.resource_type,
                                     **filters, **paging)


class ShowResource(base.ShowCommand):
    """Show the lifecycle of a resource: its state timeline, time in each
    task state, operations and faults."""

    leading = ('resource_id', 'resource_type', 'project_id', 'first_seen',
               'last_seen', 'vm_state', 'task_state', 'power_state',
               'status', 'state_at', 'state_event_type', 'state_request_id',
               'state_host')
    trailing = ('transitions', 'task_states', 'time_in_task_state',
                'operations', 'faults')
    formatters = {'transitions': render.TimelineColumn,
                  'task_states': render.TaskStatesColumn,
                  'time_in_task_state': render.MicrosecondsMapColumn,
                  'operations': render.OperationsColumn,
                  'faults': render.FaultsColumn}

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('resource_id', metavar='<resource-id>',
                            help='Id of the instance, volume, image...')
        return parser

    def fetch(self, parsed_args):
        return self.client.resource(parsed_args.resource_id)
