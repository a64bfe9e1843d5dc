"""Usage and verification queries (``/v1/usage/*``, ``/v1/verifications``).

Lists are newest first and paged like the other lists (see
``stacktach_ng.queries``): ``limit`` items at most, and ``marker`` the
``id`` of the last item of the previous page (a marker that is not an id
raises ``exception.MarkerNotFound``). Every list returns ``(items,
more)``.

Datetimes are ISO 8601 strings in UTC with a ``Z``, as everywhere in the
API (``2026-01-02T03:04:05Z``, microseconds when there are some).
"""

import datetime

import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng import queries
from stacktach_ng.common import timestamps
from stacktach_ng.usage import checks
from stacktach_ng.usage import report
from stacktach_ng.usage import store
from stacktach_ng.usage import verify

LAUNCHES = store.LAUNCHES
DELETES = store.DELETES
EXISTS = store.EXISTS
MISSING = store.MISSING

RESOURCE_TYPES = ('instance', 'image', 'volume')
STATUSES = verify.STATUSES
REASONS = checks.REASONS

_LAUNCH_FIELDS = ('id', 'instance_id', 'project_id', 'user_id', 'kind',
                  'launched_at', 'effective_at', 'flavor_id', 'flavor_name',
                  'instance_type_id', 'vcpus', 'memory_mb', 'root_gb',
                  'ephemeral_gb', 'image_id', 'evidence', 'message_id',
                  'generated_at')
_DELETE_FIELDS = ('id', 'resource_type', 'resource_id', 'project_id',
                  'launched_at', 'deleted_at', 'terminated_at', 'message_id',
                  'generated_at')
_EXISTS_FIELDS = ('id', 'message_id', 'event_type', 'resource_type',
                  'resource_id', 'project_id', 'user_id', 'launched_at',
                  'deleted_at', 'audit_period_beginning',
                  'audit_period_ending', 'flavor_id', 'flavor_name',
                  'instance_type_id', 'vcpus', 'memory_mb', 'root_gb',
                  'ephemeral_gb', 'image_id', 'size_bytes', 'volume_type',
                  'generated_at', 'received_at', 'status', 'reason',
                  'detail', 'verified_at', 'attempts')
_VERIFICATION_FIELDS = ('id', 'message_id', 'event_type', 'resource_type',
                        'resource_id', 'project_id', 'launched_at',
                        'audit_period_beginning', 'audit_period_ending',
                        'status', 'reason', 'detail', 'verified_at')
_MISSING_FIELDS = ('id', 'instance_id', 'project_id', 'launched_at',
                   'audit_period_beginning', 'audit_period_ending',
                   'detected_at')


def _value(value):
    if isinstance(value, datetime.datetime):
        return timestamps.iso(value)
    return value


def _item(row, fields):
    mapping = row._mapping
    return {name: _value(mapping[name]) for name in fields}


def _marker(marker):
    if marker is None or marker == '':
        return None
    try:
        value = int(marker)
    except (TypeError, ValueError):
        raise exception.MarkerNotFound(marker=marker) from None
    if value < 1:
        raise exception.MarkerNotFound(marker=marker)
    return value


def _limit(limit):
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise exception.InvalidParameter('limit must be a positive integer')
    return limit


def _page(connection, table, query, fields, limit, marker):
    limit = _limit(limit)
    marker = _marker(marker)
    if marker is not None:
        query = query.where(table.c.id < marker)
    rows = connection.execute(
        query.order_by(table.c.id.desc()).limit(limit + 1)).all()
    rows, more = queries.page(rows, limit)
    return [_item(row, fields) for row in rows], more


def _choice(value, allowed, name):
    if value is not None and value not in allowed:
        raise exception.InvalidParameter(
            name=name, problem='must be one of %s' % ', '.join(allowed))


def list_launches(connection, project_id=None, instance_id=None,
                  since=None, until=None, limit=100, marker=None):
    """Instance launches (create, rebuild, resize, revert, rescue,
    unrescue, observed), newest first.

    :param since: / :param until: bounds (datetimes) on ``effective_at``.
    :returns: ``([{"id", "instance_id", "project_id", "user_id",
        "kind", "launched_at", "effective_at", "flavor_id",
        "flavor_name", "instance_type_id", "vcpus", "memory_mb",
        "root_gb", "ephemeral_gb", "image_id", "evidence" (0 launch
        notification, 1 observed in another notification), "message_id",
        "generated_at"}], more)``
    """
    query = sa.select(LAUNCHES)
    if project_id is not None:
        query = query.where(LAUNCHES.c.project_id == project_id)
    if instance_id is not None:
        query = query.where(LAUNCHES.c.instance_id == instance_id)
    if since is not None:
        query = query.where(LAUNCHES.c.effective_at >= since)
    if until is not None:
        query = query.where(LAUNCHES.c.effective_at < until)
    return _page(connection, LAUNCHES, query, _LAUNCH_FIELDS, limit, marker)


def list_deletes(connection, project_id=None, resource_type=None,
                 resource_id=None, since=None, until=None, limit=100,
                 marker=None):
    """Deletions of instances, images and volumes, newest first.

    :param since: / :param until: bounds on ``deleted_at``.
    :returns: ``([{"id", "resource_type", "resource_id",
        "project_id", "launched_at", "deleted_at", "terminated_at",
        "message_id", "generated_at"}], more)``
    """
    _choice(resource_type, RESOURCE_TYPES, 'resource_type')
    query = sa.select(DELETES)
    if project_id is not None:
        query = query.where(DELETES.c.project_id == project_id)
    if resource_type is not None:
        query = query.where(DELETES.c.resource_type == resource_type)
    if resource_id is not None:
        query = query.where(DELETES.c.resource_id == resource_id)
    if since is not None:
        query = query.where(DELETES.c.deleted_at >= since)
    if until is not None:
        query = query.where(DELETES.c.deleted_at < until)
    return _page(connection, DELETES, query, _DELETE_FIELDS, limit, marker)


def _exists_query(project_id, resource_type, resource_id, status, reason,
                  since, until):
    _choice(resource_type, RESOURCE_TYPES, 'resource_type')
    _choice(status, STATUSES, 'status')
    _choice(reason, REASONS, 'reason')
    query = sa.select(EXISTS)
    if project_id is not None:
        query = query.where(EXISTS.c.project_id == project_id)
    if resource_type is not None:
        query = query.where(EXISTS.c.resource_type == resource_type)
    if resource_id is not None:
        query = query.where(EXISTS.c.resource_id == resource_id)
    if status is not None:
        query = query.where(EXISTS.c.status == status)
    if reason is not None:
        query = query.where(EXISTS.c.reason == reason)
    if since is not None:
        query = query.where(EXISTS.c.audit_period_ending >= since)
    if until is not None:
        query = query.where(EXISTS.c.audit_period_ending < until)
    return query


def list_exists(connection, project_id=None, resource_type=None,
                resource_id=None, status=None, since=None, until=None,
                limit=100, marker=None):
    """Exists audit records with their verification, newest first.

    :param status: ``pending``, ``verified``, ``failed`` or ``reconciled``.
    :param since: / :param until: bounds on ``audit_period_ending``.
    :returns: ``([{"id", "message_id", "event_type",
        "resource_type", "resource_id", "project_id", "user_id",
        "launched_at", "deleted_at", "audit_period_beginning",
        "audit_period_ending", "flavor_id", "flavor_name",
        "instance_type_id", "vcpus", "memory_mb", "root_gb",
        "ephemeral_gb", "image_id", "size_bytes", "volume_type",
        "generated_at", "received_at", "status", "reason", "detail",
        "verified_at", "attempts"}], more)``
    """
    query = _exists_query(project_id, resource_type, resource_id, status,
                          None, since, until)
    return _page(connection, EXISTS, query, _EXISTS_FIELDS, limit, marker)


def list_verifications(connection, project_id=None, status=None,
                       reason=None, resource_type=None, resource_id=None,
                       limit=100, marker=None):
    """Verdicts on exists records (everything but ``pending`` unless a
    status is asked for), newest first.

    :param reason: a reason code (``stacktach_ng.usage.checks.REASONS``).
    :returns: ``([{"id", "message_id", "event_type",
        "resource_type", "resource_id", "project_id", "launched_at",
        "audit_period_beginning", "audit_period_ending", "status",
        "reason", "detail", "verified_at"}], more)``
    """
    query = _exists_query(project_id, resource_type, resource_id, status,
                          reason, None, None)
    if status is None:
        query = query.where(EXISTS.c.status != verify.PENDING)
    return _page(connection, EXISTS, query, _VERIFICATION_FIELDS, limit,
                 marker)


def verification_summary(connection, project_id=None):
    """Counts of exists records per status and of failures per reason.

    :returns: ``{"statuses": {"pending": n, "verified": n, "failed": n,
        "reconciled": n}, "reasons": {reason: n}, "missing": n}``
    """
    by_status = sa.select(EXISTS.c.status, EXISTS.c.reason,
                          sa.func.count()).group_by(EXISTS.c.status,
                                                    EXISTS.c.reason)
    missing = sa.select(sa.func.count()).select_from(MISSING)
    if project_id is not None:
        by_status = by_status.where(EXISTS.c.project_id == project_id)
        missing = missing.where(MISSING.c.project_id == project_id)
    statuses = dict.fromkeys(STATUSES, 0)
    reasons = {}
    for status, reason, count in connection.execute(by_status):
        statuses[status] = statuses.get(status, 0) + count
        if status == verify.FAILED and reason:
            reasons[reason] = reasons.get(reason, 0) + count
    return {'statuses': statuses, 'reasons': reasons,
            'missing': connection.execute(missing).scalar()}


def list_missing(connection, project_id=None, since=None, until=None,
                 limit=100, marker=None):
    """Instances alive during a regular audit period with no exists for
    it, newest first.

    :param since: / :param until: bounds on ``audit_period_ending``.
    :returns: ``([{"id", "instance_id", "project_id",
        "launched_at", "audit_period_beginning", "audit_period_ending",
        "detected_at"}], more)``
    """
    query = sa.select(MISSING)
    if project_id is not None:
        query = query.where(MISSING.c.project_id == project_id)
    if since is not None:
        query = query.where(MISSING.c.audit_period_ending >= since)
    if until is not None:
        query = query.where(MISSING.c.audit_period_ending < until)
    return _page(connection, MISSING, query, _MISSING_FIELDS, limit, marker)


def usage_report(connection, start, end, project_id=None):
    """The usage report of ``[start, end)``; see
    ``stacktach_ng.usage.report.compute`` for its shape. Raises
    ``ValueError`` when ``end`` is not after ``start``."""
    return report.compute(connection, start, end, project_id=project_id)
