"""``/v1/errors``: errors grouped by fingerprint;
``/v1/errors/{fingerprint}``: one group with its latest events."""

import pecan
from pecan import rest

from stacktach_ng.api.controllers.v1 import base
from stacktach_ng.api.schemas import parameters
from stacktach_ng.queries import errors as error_queries


class ErrorsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Error groups, most recently seen first."""
        def query(connection, scope, params, limit):
            return error_queries.list_errors(
                connection, project_id=scope, since=params['since'],
                until=params['until'], operation=params['operation'],
                host=params['host'], marker=params['marker'], limit=limit)

        return base.list_view(parameters.ERROR_LIST, 'stacktach:error:list',
                              'errors', query,
                              lambda item: item['fingerprint'])

    @pecan.expose('json')
    def get_one(self, fingerprint, **_query):
        """One error group and its latest events."""
        def query(connection, scope, params):
            limit = min(params['limit'], pecan.request.conf.api.max_limit)
            return error_queries.get_error_group(
                connection, fingerprint, project_id=scope,
                since=params['since'], until=params['until'], limit=limit)

        return base.show_view(parameters.ERROR_SHOW, 'stacktach:error:get',
                              query, 'error group', fingerprint)
