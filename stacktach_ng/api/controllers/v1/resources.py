"""``/v1/resources``: resources (or the stuck ones);
``/v1/resources/{id}``: a resource's lifecycle."""

import pecan
from pecan import rest

from stacktach_ng.api.controllers.v1 import base
from stacktach_ng.api.schemas import parameters
from stacktach_ng.queries import lifecycles


def uses_open_work(conf):
    """Whether what is open now is kept (the ``open_work`` handler is
    enabled), so that the stuck list may read it."""
    return 'open_work' in conf.listener.handlers


class ResourcesController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Resources, most recently seen first; with ``stuck=true`` the
        resources stuck in an operation, longest stuck first."""
        def query(connection, scope, params, limit):
            if params['stuck']:
                return lifecycles.list_stuck(
                    connection, project_id=scope,
                    older_than=params['older_than'],
                    marker=params['marker'], limit=limit,
                    use_open_work=uses_open_work(pecan.request.conf))
            items, more = lifecycles.list_resources(
                connection, project_id=scope,
                resource_type=params['resource_type'],
                marker=params['marker'], limit=limit)
            base.check_known_type(connection, scope,
                                  params['resource_type'], items,
                                  params['marker'])
            return items, more

        return base.list_view(parameters.RESOURCE_LIST,
                              'stacktach:resource:list', 'resources', query,
                              lifecycles.stuck_key)

    @pecan.expose('json')
    def get_one(self, resource_id, **_query):
        """The lifecycle of a resource: transitions, time in each task
        state, operations and faults."""
        return base.show_view(
            parameters.NONE, 'stacktach:resource:get',
            lambda connection, scope, params: lifecycles.get_resource(
                connection, resource_id, project_id=scope),
            'resource', resource_id)
