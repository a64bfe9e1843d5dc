"""``/v1/event_types``, ``/v1/hosts``, ``/v1/services``: the distinct
values of a notification column, with counts and first/last times."""

import pecan
from pecan import rest

from stacktach_ng.api import paging
from stacktach_ng.api import policy
from stacktach_ng.api import validation
from stacktach_ng.api.controllers.v1 import base
from stacktach_ng.api.schemas import parameters
from stacktach_ng.queries import notifications as notification_queries


class CountsController(rest.RestController):
    """The values of ``column`` in the list ``key``, under ``rule``."""

    def __init__(self, column, key, rule):
        super().__init__()
        self.column = column
        self.key = key
        self.rule = rule

    @pecan.expose('json')
    def get_all(self, **_query):
        request = pecan.request
        params = validation.validate(request, parameters.COUNTS)
        base.check_time_range(params)
        scope = policy.list_scope(
            request.enforcer, request.context, self.rule,
            all_projects=params['all_projects'],
            project_id=params['project_id'])
        limit = paging.limit(request.conf, params['limit'])
        items, more = request.database.read(
            lambda connection: notification_queries.count_by(
                connection, self.column, project_id=scope,
                since=params['since'], until=params['until'],
                marker=params['marker'], limit=limit,
                use_rollups='summary' in request.conf.listener.handlers))
        return paging.collection(request, self.key, items, more,
                                 lambda item: item[self.column])


def event_types():
    return CountsController('event_type', 'event_types',
                            'stacktach:event_type:list')


def hosts():
    return CountsController('host', 'hosts', 'stacktach:host:list')


def services():
    return CountsController('service', 'services',
                            'stacktach:service:list')
