"""``/v1/notifications``: search and show notifications."""

import pecan
from pecan import rest

from stacktach_ng import exception
from stacktach_ng.api import errors
from stacktach_ng.api import paging
from stacktach_ng.api import policy
from stacktach_ng.api import validation
from stacktach_ng.api.controllers.v1 import base
from stacktach_ng.api.schemas import parameters
from stacktach_ng.queries import notifications as notification_queries


class NotificationsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Notifications matching the filters, newest first, paged."""
        request = pecan.request
        params = validation.validate(request,
                                     parameters.NOTIFICATION_LIST)
        base.check_time_range(params)
        scope = policy.list_scope(
            request.enforcer, request.context, 'stacktach:notification:list',
            all_projects=params['all_projects'],
            project_id=params['project_id'])
        filters = {name: params[name]
                   for name in notification_queries.FILTER_COLUMNS
                   if params[name] is not None}
        limit = paging.limit(request.conf, params['limit'])
        def query(connection):
            page = notification_queries.list_notifications(
                connection, project_id=scope, filters=filters,
                event_type=params['event_type'], since=params['since'],
                until=params['until'], marker=params['marker'],
                limit=limit, sort_dir=params['sort_dir'],
                details=params['details'])
            base.check_known_type(connection, scope,
                                  params['resource_type'], page[0],
                                  params['marker'])
            return page

        try:
            items, more = request.database.read(query)
        except exception.MarkerNotFound:
            raise errors.InvalidParameter(
                'marker', 'no notification has this message_id') from None
        except exception.InvalidParameter as error:
            raise errors.InvalidParameter(
                error.kwargs['name'], error.kwargs['problem']) from None
        return paging.collection(request, 'notifications', items, more,
                                 lambda item: item['message_id'])

    @pecan.expose('json')
    def get_one(self, message_id, **_query):
        """One notification with its payload and context."""
        request = pecan.request
        validation.validate(request, parameters.NONE)
        scope = policy.show_scope(request.enforcer, request.context,
                                  'stacktach:notification:get')
        item = request.database.read(
            lambda connection: notification_queries.get_notification(
                connection, message_id, project_id=scope))
        if item is None:
            raise errors.NotFound('No notification has message_id %s.'
                                  % message_id[:128])
        return item
