"""``/v1/timings``: operations with durations;
``/v1/timings/summary``: their statistics."""

import pecan
from pecan import rest

from stacktach_ng.api import errors
from stacktach_ng.api.controllers.v1 import base
from stacktach_ng.api.schemas import parameters
from stacktach_ng.queries import timings


def check_buckets(params):
    """A 400 when ``bucket`` cuts the period into too many buckets."""
    bucket = params.get('bucket')
    if bucket is None:
        return
    seconds = (params['until'] - params['since']).total_seconds()
    if seconds / bucket > parameters.MAX_BUCKETS:
        raise errors.InvalidParameter(
            'bucket', 'too small for the period: at most %d buckets'
            % parameters.MAX_BUCKETS)


def split_group_by(params):
    """The keys of ``group_by``, its time grouping (``hour``, ``day``)
    turned into ``bucket``: a 400 when two sizes of bucket are asked."""
    keys, times = [], []
    for key in params['group_by'].split(','):
        if key in parameters.GROUP_BY_TIMES:
            times.append(key)
        elif key not in keys:
            keys.append(key)
    if len(times) > 1:
        raise errors.InvalidParameter(
            'group_by', 'at most one of %s, got %s'
            % (', '.join(parameters.GROUP_BY_TIMES), ', '.join(times)))
    if times:
        if params.get('bucket') is not None:
            raise errors.InvalidParameter(
                'group_by', '%s and bucket both set the time grouping: '
                            'give one' % times[0])
        params['bucket'] = parameters.GROUP_BY_TIMES[times[0]]
    return keys or ['operation']


def uses_rollups(conf):
    """Whether the roll-ups of the operations and the requests are
    maintained (the ``rollups`` handler is enabled), so that summaries
    may read them."""
    return 'rollups' in conf.listener.handlers


class SummaryController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, **_query):
        """count, errors, min/p50/p95/p99/max duration per group of the
        operations that ended in the period (the last day by default)."""
        def query(connection, scope, params):
            base.default_period(params)
            group_by = split_group_by(params)
            check_buckets(params)
            return {
                'since': params['since'], 'until': params['until'],
                'group_by': group_by,
                'summary': timings.summary(
                    connection, project_id=scope, since=params['since'],
                    until=params['until'], operation=params['operation'],
                    group_by=group_by, bucket=params['bucket'],
                    use_rollups=uses_rollups(pecan.request.conf)),
            }

        return base.scoped_view(parameters.TIMING_SUMMARY,
                                'stacktach:timing:summary', query)


class TimingsController(rest.RestController):

    summary = SummaryController()

    @pecan.expose('json')
    def get_all(self, **_query):
        """Operations, latest start first; open ones included."""
        def query(connection, scope, params, limit):
            return timings.list_operations(
                connection, project_id=scope, operation=params['operation'],
                host=params['host'], resource_id=params['resource_id'],
                request_id=params['request_id'], outcome=params['outcome'],
                since=params['since'], until=params['until'],
                marker=params['marker'], limit=limit)

        return base.list_view(parameters.TIMING_LIST,
                              'stacktach:timing:list', 'timings', query,
                              lambda item: str(item['id']))
