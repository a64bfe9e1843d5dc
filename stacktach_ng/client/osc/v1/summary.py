"""``openstack stacktach summary``: counts and KPIs of a period."""

from stacktach_ng.client.osc.v1 import base


class ShowSummary(base.ShowCommand):
    """Show counts per event type, service and host, error rates and
    request latency over a period (the last day by default on the API
    side)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_time_range(parser)
        base.add_scope(parser)
        return parser

    def fetch(self, parsed_args):
        return self.client.summary(**base.time_filters(parsed_args),
                                   **base.scope_filters(parsed_args))
