"""``openstack stacktach verification list``: verdicts on the .exists
audit records."""

from stacktach_ng.client.osc.v1 import base
from stacktach_ng.client.osc.v1 import usage

COLUMNS = ('id', 'resource_type', 'resource_id', 'audit_period_ending',
           'status', 'reason', 'verified_at')
LONG_COLUMNS = ('project_id', 'event_type', 'launched_at',
                'audit_period_beginning', 'detail', 'message_id')


class ListVerification(base.ListCommand):
    """List verification results of the .exists audit records, newest
    first (every status but pending unless --status asks for it)."""

    columns = COLUMNS
    long_columns = LONG_COLUMNS

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--status', choices=usage.STATUSES,
            help='Only this status')
        parser.add_argument(
            '--reason', metavar='<code>',
            help='Only failures with this reason code')
        parser.add_argument(
            '--type', choices=usage.RESOURCE_TYPES, dest='resource_type',
            help='Only this resource type')
        parser.add_argument(
            '--resource', metavar='<resource-id>', dest='resource_id',
            help='Only this instance, image or volume')
        base.add_scope(parser)
        return parser

    def fetch(self, parsed_args, paging):
        return self.client.verifications(
            status=parsed_args.status, reason=parsed_args.reason,
            resource_type=parsed_args.resource_type,
            resource_id=parsed_args.resource_id,
            **base.scope_filters(parsed_args), **paging)
