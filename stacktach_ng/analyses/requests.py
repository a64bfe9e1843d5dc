"""When a request is still at work, failed or recovered, as SQL over the
derived tables: the request lists, the traces, the summary's request
latency and its roll-ups (``analyses.rollups``) agree on it."""

import sqlalchemy as sa

from stacktach_ng.db import models

REQUESTS = models.analyses.Request.__table__
OPERATIONS = models.analyses.Operation.__table__
RESOURCES = models.analyses.Resource.__table__


def _retried(failed):
    """Whether a later attempt of the failed operation row succeeded."""
    later = OPERATIONS.alias('later')
    return sa.exists().where(
        later.c.scope_id == failed.c.scope_id,
        later.c.request_id == failed.c.request_id,
        later.c.operation == failed.c.operation,
        later.c.attempt > failed.c.attempt,
        later.c.outcome == 'success')


def recovered_requests():
    """The ids of the requests whose every failed operation was retried
    with success (nova's reschedule of a failed spawn), as a subquery.

    Such a request succeeded although a failure was reported in it. Only
    operations with several attempts can be retried, so the outer scan
    reads the few rows of attempt 1 and later.
    """
    retry = OPERATIONS.alias('retry')
    failed = OPERATIONS.alias('failed')
    unretried = sa.exists().where(
        failed.c.request_id == retry.c.request_id,
        failed.c.outcome == 'error', ~_retried(failed))
    return sa.select(retry.c.request_id).where(
        retry.c.attempt > 0, retry.c.request_id != '',
        retry.c.outcome == 'success', ~unretried)


def open_span_requests():
    """The ids of the requests with an open operation.

    Open operations are few (the running ones, and those a failure
    interrupted): the ``(end_us, start_us)`` index reads them directly.
    """
    return sa.select(OPERATIONS.c.request_id.label('request_id')).where(
        OPERATIONS.c.end_us.is_(None), OPERATIONS.c.start_us.is_not(None),
        OPERATIONS.c.request_id != '')


def busy_resource_requests():
    """The ids of the requests that set a task state still standing.

    nova keeps an instance's task state until the work of the request
    that set it is done: a boot whose compute host never starts it stays
    "scheduling" with every operation of its request ended (nova's
    instance action has no finished event either). Resources in a task
    state are few: the ``task_state`` index reads them directly.
    """
    return sa.select(RESOURCES.c.state_request_id.label('request_id')).where(
        RESOURCES.c.task_state.is_not(None),
        RESOURCES.c.state_request_id.is_not(None))


def open_requests():
    """The ids of the requests still at work, as a subquery: with an open
    operation, or whose task state still stands (see ``request_item``)."""
    return sa.union(open_span_requests(), busy_resource_requests())


def request_failed():
    """Whether a ``requests`` row failed, as SQL: a failure reported and
    not recovered by a later attempt (see ``request_item``)."""
    return sa.and_(REQUESTS.c.failed.is_(True), REQUESTS.c.request_id.not_in(
        recovered_requests()))
