"""``/v1/requests``: recent requests; ``/v1/requests/{id}``: the trace."""

import pecan
from pecan import rest

from stacktach_ng.api.controllers.v1 import base
from stacktach_ng.api.schemas import parameters
from stacktach_ng.queries import traces


class RequestsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Requests, most recent first, with duration and outcome."""
        def query(connection, scope, params, limit):
            return traces.list_requests(
                connection, project_id=scope, since=params['since'],
                until=params['until'], operation=params['operation'],
                outcome=params['outcome'], marker=params['marker'],
                limit=limit)

        return base.list_view(parameters.REQUEST_LIST,
                              'stacktach:request:list', 'requests', query,
                              lambda item: item['request_id'])

    @pecan.expose('json')
    def get_one(self, request_id, **_query):
        """The trace of a request (or global request id): its span tree."""
        return base.show_view(
            parameters.NONE, 'stacktach:request:get',
            lambda connection, scope, params: traces.get_trace(
                connection, request_id, project_id=scope),
            'request', request_id)
