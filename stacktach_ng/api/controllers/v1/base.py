"""What every list and show controller does, in one place: validate the
query parameters, check the policy and decide the project scope, run the
query on a reader connection, shape the page."""

import datetime

import pecan

from stacktach_ng import exception
from stacktach_ng.api import errors
from stacktach_ng.api import paging
from stacktach_ng.api import policy
from stacktach_ng.api import validation
from stacktach_ng.queries import lifecycles


def check_time_range(params):
    """A 400 when ``until`` is not after ``since``."""
    since, until = params.get('since'), params.get('until')
    if since is not None and until is not None and until <= since:
        raise errors.InvalidParameter('until', 'must be later than since')


def default_period(params, days=1):
    """``since``/``until`` defaulting to the last ``days`` days."""
    until = params.get('until') or _now()
    since = params.get('since') or until - datetime.timedelta(days=days)
    params['since'], params['until'] = since, until
    check_time_range(params)
    return since, until


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, microsecond=0)


def check_known_type(connection, scope, resource_type, items, marker):
    """A 400 when a first page filtered on ``resource_type`` is empty
    because no resource has that type: a mistyped filter value gets an
    answer listing the known types, not an empty page.

    :raises exception.InvalidParameter: the type is unknown in the scope.
    """
    if items or resource_type is None or marker is not None:
        return
    known = lifecycles.resource_types(connection, project_id=scope)
    if resource_type not in known:
        raise exception.InvalidParameter(
            name='resource_type',
            problem='no resource has type %r (known: %s)' % (
                resource_type[:64], ', '.join(known) or 'none yet'))


def list_view(declared, rule, key, query, marker_of,
              marker_problem='names no item of this list'):
    """Serve a paged list.

    :param declared: the parameter objects of the endpoint.
    :param query: ``query(connection, scope, params, limit)`` returning
        ``(items, more)``; it may run twice (see ``Database.read``); it may
        raise ``exception.MarkerNotFound`` or
        ``exception.InvalidParameter`` (a value the query refused): both
        are answered with a 400 naming the parameter.
    :param marker_of: the marker of an item (for the ``next`` link).
    """
    request = pecan.request
    params = validation.validate(request, declared)
    check_time_range(params)
    scope = policy.list_scope(request.enforcer, request.context, rule,
                              all_projects=params.get('all_projects'),
                              project_id=params.get('project_id'))
    limit = paging.limit(request.conf, params['limit'])
    try:
        items, more = request.database.read(
            lambda connection: query(connection, scope, params, limit))
    except exception.MarkerNotFound:
        raise errors.InvalidParameter('marker', marker_problem) from None
    except exception.InvalidParameter as error:
        raise errors.InvalidParameter(
            error.kwargs.get('name') or 'query',
            error.kwargs.get('problem') or str(error)) from None
    return paging.collection(request, key, items, more, marker_of)


def show_view(declared, rule, query, what, identifier):
    """Serve one item; 404 when it is not in the caller's scope.

    :param query: ``query(connection, scope, params)`` returning the item
        or None.
    """
    request = pecan.request
    params = validation.validate(request, declared)
    check_time_range(params)
    scope = policy.show_scope(request.enforcer, request.context, rule)
    item = request.database.read(
        lambda connection: query(connection, scope, params))
    if item is None:
        raise errors.NotFound('No %s has id %s.' % (what, identifier[:255]))
    return item


def scoped_view(declared, rule, query):
    """Serve a computed document (a summary) over the caller's scope.

    :param query: ``query(connection, scope, params)``.
    """
    request = pecan.request
    params = validation.validate(request, declared)
    check_time_range(params)
    scope = policy.list_scope(request.enforcer, request.context, rule,
                              all_projects=params.get('all_projects'),
                              project_id=params.get('project_id'))
    return request.database.read(
        lambda connection: query(connection, scope, params))
