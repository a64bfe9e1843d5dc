"""``/v1/usage/*`` and ``/v1/verifications``: what billing trusts.

Launches, deletes and exists audit records as tracked, the exists records'
verification verdicts, the instances with no exists for an audit period,
and the usage report of a period (the last day by default).
"""

import pecan
from pecan import rest

from stacktach_ng.api import errors
from stacktach_ng.api.controllers.v1 import base
from stacktach_ng.api.schemas import parameters
from stacktach_ng.queries import usage as usage_queries


def _usage_list(declared, rule, key, query):
    """A list view over a usage query (marked by the items' ids)."""
    return base.list_view(declared, rule, key, query,
                          lambda item: item['id'])


class LaunchesController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Instance launches (create, rebuild, resize...), newest first."""
        return _usage_list(
            parameters.LAUNCH_LIST, 'stacktach:usage:list', 'launches',
            lambda conn, scope, p, limit: usage_queries.list_launches(
                conn, project_id=scope, instance_id=p['instance_id'],
                since=p['since'], until=p['until'], limit=limit,
                marker=p['marker']))


class DeletesController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Deletions of instances, images and volumes, newest first."""
        return _usage_list(
            parameters.DELETE_LIST, 'stacktach:usage:list', 'deletes',
            lambda conn, scope, p, limit: usage_queries.list_deletes(
                conn, project_id=scope, resource_type=p['resource_type'],
                resource_id=p['resource_id'], since=p['since'],
                until=p['until'], limit=limit, marker=p['marker']))


class ExistsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Exists audit records with their verification, newest first."""
        return _usage_list(
            parameters.EXISTS_LIST, 'stacktach:usage:list', 'exists',
            lambda conn, scope, p, limit: usage_queries.list_exists(
                conn, project_id=scope, resource_type=p['resource_type'],
                resource_id=p['resource_id'], status=p['status'],
                since=p['since'], until=p['until'], limit=limit,
                marker=p['marker']))


class MissingController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Instances alive in an audit period with no exists for it."""
        return _usage_list(
            parameters.MISSING_LIST, 'stacktach:usage:list', 'missing',
            lambda conn, scope, p, limit: usage_queries.list_missing(
                conn, project_id=scope, since=p['since'],
                until=p['until'], limit=limit, marker=p['marker']))


class ReportController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """The usage report of ``[start, end)`` (the last day by
        default): hours per project and flavor."""
        def query(connection, scope, params):
            # Reports speak of a billing period's start and end, as the
            # CLI and "stacktach-ng-manage usage report" do.
            period = {'since': params['start'], 'until': params['end']}
            try:
                start, end = base.default_period(period)
            except errors.InvalidParameter:
                raise errors.InvalidParameter(
                    'end', 'must be later than start') from None
            return usage_queries.usage_report(connection, start, end,
                                              project_id=scope)

        return base.scoped_view(parameters.USAGE_REPORT,
                                'stacktach:usage:report', query)


class UsageController:
    launches = LaunchesController()
    deletes = DeletesController()
    exists = ExistsController()
    missing = MissingController()
    report = ReportController()


class VerificationsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """Verdicts on exists records, newest first."""
        return _usage_list(
            parameters.VERIFICATION_LIST, 'stacktach:verification:list',
            'verifications',
            lambda conn, scope, p, limit: usage_queries.list_verifications(
                conn, project_id=scope, status=p['status'],
                reason=p['reason'], resource_type=p['resource_type'],
                resource_id=p['resource_id'], limit=limit,
                marker=p['marker']))
