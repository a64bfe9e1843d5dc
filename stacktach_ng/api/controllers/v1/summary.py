"""``/v1/summary``: counts, error rates and request latency of a period."""

import pecan
from pecan import rest

from stacktach_ng.api.controllers.v1 import base
from stacktach_ng.api.controllers.v1 import timings
from stacktach_ng.api.schemas import parameters
from stacktach_ng.queries import summary


class SummaryController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """The KPIs of the period (the last day by default)."""
        def query(connection, scope, params):
            base.default_period(params)
            timings.check_buckets(params)
            return summary.summary(
                connection, params['since'], params['until'],
                project_id=scope, bucket=params['bucket'],
                use_rollups=timings.uses_rollups(pecan.request.conf))

        return base.scoped_view(parameters.SUMMARY, 'stacktach:summary:get',
                                query)
