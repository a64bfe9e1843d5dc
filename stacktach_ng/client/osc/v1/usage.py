"""``openstack stacktach usage list|report``: billing and audit data."""

from osc_lib import exceptions

from stacktach_ng.client.osc.v1 import base

KINDS = {
    'launches': (
        ('id', 'instance_id', 'kind', 'effective_at', 'flavor_name',
         'vcpus', 'memory_mb', 'project_id'),
        ('user_id', 'launched_at', 'flavor_id', 'instance_type_id',
         'root_gb', 'ephemeral_gb', 'image_id', 'evidence', 'message_id',
         'generated_at')),
    'deletes': (
        ('id', 'resource_type', 'resource_id', 'deleted_at', 'launched_at',
         'project_id'),
        ('terminated_at', 'message_id', 'generated_at')),
    'exists': (
        ('id', 'resource_type', 'resource_id', 'audit_period_beginning',
         'audit_period_ending', 'status', 'reason'),
        ('project_id', 'user_id', 'event_type', 'launched_at', 'deleted_at',
         'flavor_id', 'flavor_name', 'instance_type_id', 'vcpus',
         'memory_mb', 'root_gb', 'ephemeral_gb', 'image_id', 'size_bytes',
         'volume_type', 'detail', 'verified_at', 'attempts', 'message_id',
         'generated_at', 'received_at')),
}
RESOURCE_TYPES = ('instance', 'image', 'volume')
STATUSES = ('pending', 'verified', 'failed', 'reconciled')

#: The figures of a report row, in the order of the CSV columns.
FIGURES = ('instances', 'instance_hours', 'vcpu_hours', 'memory_mb_hours',
           'disk_gb_hours', 'image_gb_hours', 'volume_gb_hours')
REPORT_COLUMNS = ('scope', 'project_id', 'flavor_id', 'flavor_name') + \
    FIGURES


class ListUsage(base.ListCommand):
    """List usage records: instance launches, deletions, or the .exists
    audit records with their verification status, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--long', action='store_true', default=False,
            help='List more columns')
        parser.add_argument(
            '--kind', choices=tuple(KINDS), default='launches',
            help='launches (default), deletes or exists')
        parser.add_argument(
            '--type', choices=RESOURCE_TYPES, dest='resource_type',
            help='deletes and exists: only this resource type')
        parser.add_argument(
            '--resource', metavar='<resource-id>', dest='resource_id',
            help='Only this instance, image or volume')
        parser.add_argument(
            '--status', choices=STATUSES,
            help='exists: only this verification status')
        base.add_time_range(parser, 'launched (effective), deleted or '
                                    'audited (period end)')
        base.add_scope(parser)
        return parser

    def take_action(self, parsed_args):
        kind = parsed_args.kind
        if parsed_args.resource_type and kind == 'launches':
            raise exceptions.CommandError(
                '--type needs --kind deletes or exists (launches are '
                'instances)')
        if parsed_args.status and kind != 'exists':
            raise exceptions.CommandError('--status needs --kind exists')
        self.columns, self.long_columns = KINDS[kind]
        return super().take_action(parsed_args)

    def fetch(self, parsed_args, paging):
        filters = base.time_filters(parsed_args)
        filters.update(base.scope_filters(parsed_args))
        if parsed_args.kind == 'launches':
            filters['instance_id'] = parsed_args.resource_id
        else:
            filters['resource_id'] = parsed_args.resource_id
            filters['resource_type'] = parsed_args.resource_type
        if parsed_args.kind == 'exists':
            filters['status'] = parsed_args.status
        return self.client.usage(parsed_args.kind, **filters, **paging)


def report_rows(report, flavors=True):
    """Rows of a usage report: one ``project`` row per project, then
    (with ``flavors``) a ``flavor`` row per flavor it used, then a
    ``total`` row; the columns are ``REPORT_COLUMNS``."""
    for entry in report.get('projects', []):
        yield ('project', entry.get('project_id'), None, None) + tuple(
            entry.get(name) for name in FIGURES)
        if not flavors:
            continue
        for flavor in entry.get('flavors', []):
            yield ('flavor', entry.get('project_id'),
                   flavor.get('flavor_id'), flavor.get('flavor_name')) + \
                tuple(flavor.get(name) for name in FIGURES)
    totals = report.get('totals') or {}
    yield ('total', None, None, None) + tuple(totals.get(name)
                                              for name in FIGURES)


class ReportUsage(base.ClientMixin, base.command.Lister):
    """Usage per project over a period: instance hours, vCPU hours, RAM
    MB hours, disk GB hours, image and volume GB hours. ``-f csv`` gives
    a spreadsheet."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--start', metavar='<time>', type=base.parse_time,
            required=True,
            help='Start of the period: ISO 8601 UTC (2026-01-01) or an age '
                 '(30d)')
        parser.add_argument(
            '--end', metavar='<time>', type=base.parse_time,
            help='End of the period (excluded; default: now)')
        parser.add_argument(
            '--project', metavar='<project-id>', dest='project_id',
            help='Only this project (another project than yours is admin '
                 'only)')
        parser.add_argument(
            '--all-projects', action='store_true', default=False,
            help='Every project (admin only)')
        parser.add_argument(
            '--no-flavors', action='store_false', dest='flavors',
            default=True, help='Leave out the per-flavor rows')
        return parser

    def take_action(self, parsed_args):
        end = parsed_args.end or base.utcnow().replace(
            microsecond=0).isoformat()
        if end <= parsed_args.start:
            raise exceptions.CommandError('--end must be after --start')
        report = self.client.usage_report(
            start=parsed_args.start, end=end,
            **base.scope_filters(parsed_args))
        return REPORT_COLUMNS, list(report_rows(report,
                                                parsed_args.flavors))

