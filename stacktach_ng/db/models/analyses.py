"""Models of the analyses (lifecycles, timings, traces, errors, summary).

Every table here is derived from the stored notifications and can be
rebuilt from them (``stacktach-ng-manage rebuild``). Times are integers,
microseconds since the Unix epoch (UTC), in columns named ``*_us``; see
``stacktach_ng.analyses`` for why. Key columns that may be
unknown (a request id, a resource id) hold '' rather than NULL so that the
unique keys the upserts rely on hold.
"""

import sqlalchemy as sa

from stacktach_ng.db import types
from stacktach_ng.db.models.base import MYSQL_TABLE_ARGS
from stacktach_ng.db.models.base import Base

_ID = sa.BigInteger().with_variant(sa.Integer, 'sqlite')


class Resource(Base):
    """The latest known state of a resource (lifecycle handler).

    The state columns come from the state-bearing notification with the
    greatest (``state_us``, ``state_message_id``), whatever the order of
    arrival; the ``last_*`` columns from the notification with the
    greatest (``last_us``, ``last_message_id``). The full timeline is read
    from ``notifications`` by resource.

    The ``task_*`` columns summarize the task-state timeline for stuck
    detection without reading it (see ``analyses.task_summary``):
    ``task_source`` says which notifications the timeline uses (1: the
    instance updates, 0: every state-bearing one; NULL: none yet);
    ``task_us``/``task_message_id``/``task_value`` is the latest one that
    reports a task state (``task_value`` NULL for "no task"),
    ``task_break_*`` the latest one reporting another value, and
    ``task_since_*`` the first one of the current task state, i.e. when
    the resource entered it.
    """

    __tablename__ = 'resources'
    __table_args__ = (
        sa.Index('ix_resources_task_state', 'task_state', 'state_us'),
        sa.Index('ix_resources_project', 'project_id', 'last_us'),
        sa.Index('ix_resources_last', 'last_us'),
        # The page-level "still at work" check of the request lists reads
        # resources by the request that set their state.
        sa.Index('ix_resources_state_request', 'state_request_id'),
        MYSQL_TABLE_ARGS,
    )

    resource_id = sa.Column(types.Identifier(255), primary_key=True)
    resource_type = sa.Column(sa.String(64))
    project_id = sa.Column(types.Identifier(64))
    first_us = sa.Column(sa.BigInteger, nullable=False)
    last_us = sa.Column(sa.BigInteger, nullable=False)
    state_us = sa.Column(sa.BigInteger)
    state_message_id = sa.Column(types.Identifier(128))
    vm_state = sa.Column(sa.String(32))
    task_state = sa.Column(sa.String(64))
    power_state = sa.Column(sa.String(32))
    status = sa.Column(sa.String(64))
    state_event_type = sa.Column(sa.String(255))
    state_request_id = sa.Column(types.Identifier(255))
    state_host = sa.Column(sa.String(255))
    last_message_id = sa.Column(types.Identifier(128))
    last_event_type = sa.Column(sa.String(255))
    last_service = sa.Column(sa.String(64))
    last_host = sa.Column(sa.String(255))
    task_source = sa.Column(sa.SmallInteger)
    task_us = sa.Column(sa.BigInteger)
    task_message_id = sa.Column(types.Identifier(128))
    task_value = sa.Column(sa.String(64))
    task_break_us = sa.Column(sa.BigInteger)
    task_break_message_id = sa.Column(types.Identifier(128))
    task_since_us = sa.Column(sa.BigInteger)
    task_since_message_id = sa.Column(types.Identifier(128))


class Operation(Base):
    """An operation: ``X.start`` paired with ``X.end`` or ``X.error`` of the
    same resource and request (timings handler).

    ``start_us`` is the earliest start, ``end_us`` the latest end, and
    ``outcome`` the outcome of that latest end (NULL while open). Legacy
    notifications (format 0) are preferred to versioned ones (format 1):
    nova's ``both`` format sends a versioned twin of each event a little
    later, which must not stretch the duration.

    The key is (``scope_id``, ``request_id``, ``operation``): an operation
    is identified by its request, because not every event of it names the
    resource (nova's legacy scheduler events, ``compute.exception``,
    neutron's ``port.create.start``). ``scope_id`` is '' then, and the
    resource id when there is no request id (glance).

    ``attempt`` numbers the attempts of one key in time order, from 0: a
    boot rescheduled after a failed spawn starts and ends
    ``instance.create`` twice under one request, one row each. Row 0
    also counts the reported starts and ends of the key per format
    (``legacy_starts``, ...); while none exceeds one there is one attempt
    and the row is merged by upserts as described above, else every
    batch touching the key recomputes its rows from the stored
    notifications (see ``analyses.timings``). The count columns of the
    other attempts are 0.
    """

    __tablename__ = 'operations'
    __table_args__ = (
        sa.UniqueConstraint('scope_id', 'request_id', 'operation',
                            'attempt', name='uq_operations_key'),
        sa.Index('ix_operations_operation_end', 'operation', 'end_us'),
        sa.Index('ix_operations_end_start', 'end_us', 'start_us'),
        sa.Index('ix_operations_start', 'start_us'),
        sa.Index('ix_operations_request', 'request_id'),
        sa.Index('ix_operations_resource', 'resource_id', 'start_us'),
        sa.Index('ix_operations_project', 'project_id', 'end_us'),
        # The few later attempts, read for the requests they recovered
        # (``analyses.requests.recovered_requests``).
        sa.Index('ix_operations_attempt', 'attempt'),
        MYSQL_TABLE_ARGS,
    )

    id = sa.Column(_ID, primary_key=True, autoincrement=True)
    scope_id = sa.Column(types.Identifier(255), nullable=False)
    request_id = sa.Column(types.Identifier(255), nullable=False)
    operation = sa.Column(sa.String(128), nullable=False)
    attempt = sa.Column(sa.SmallInteger, nullable=False, default=0,
                        server_default='0')
    resource_id = sa.Column(types.Identifier(255))
    resource_type = sa.Column(sa.String(64))
    project_id = sa.Column(types.Identifier(64))
    service = sa.Column(sa.String(64))
    host = sa.Column(sa.String(255))
    end_host = sa.Column(sa.String(255))
    start_us = sa.Column(sa.BigInteger)
    end_us = sa.Column(sa.BigInteger)
    start_format = sa.Column(sa.SmallInteger)
    end_format = sa.Column(sa.SmallInteger)
    outcome = sa.Column(sa.String(16))
    start_message_id = sa.Column(types.Identifier(128))
    end_message_id = sa.Column(types.Identifier(128))
    legacy_starts = sa.Column(sa.Integer, nullable=False, default=0,
                              server_default='0')
    versioned_starts = sa.Column(sa.Integer, nullable=False, default=0,
                                 server_default='0')
    legacy_ends = sa.Column(sa.Integer, nullable=False, default=0,
                            server_default='0')
    versioned_ends = sa.Column(sa.Integer, nullable=False, default=0,
                               server_default='0')


class OpenWork(Base):
    """What is open now: one row per resource that is in a task state or
    has an open operation, and per open create whose start named no
    resource yet (open_work handler, see ``analyses.open_work``), so that
    the stuck list reads one index range instead of every candidate.

    ``item_key`` is the stuck item's key, its paging marker (the
    resource id, or ``request:<request id>``); ``kind`` says what keeps
    it open (``analyses.open_work.TASK``, ``OPERATION``, ``CREATE``);
    ``operation`` and ``attempt`` tell a create's operation row ('' and
    0 for a resource). ``since_us`` is when the item has been open since
    in the list of every project, ``scoped_since_us`` in the list of its
    own project (``project_id``), which sees only that project's
    operations; NULL: not open there. ``via_request_id`` and
    ``scoped_via_request_id`` name the request of the operation that set
    each, so that a batch that moves that operation to another resource
    or ends it finds this row again.
    """

    __tablename__ = 'open_work'
    __table_args__ = (
        sa.UniqueConstraint('item_key', 'operation', 'attempt',
                            name='uq_open_work_key'),
        sa.Index('ix_open_work_since', 'since_us', 'item_key', 'operation',
                 'attempt'),
        sa.Index('ix_open_work_project', 'project_id', 'scoped_since_us',
                 'item_key', 'operation', 'attempt'),
        sa.Index('ix_open_work_scoped', 'scoped_since_us'),
        sa.Index('ix_open_work_request', 'request_id'),
        sa.Index('ix_open_work_via', 'via_request_id'),
        sa.Index('ix_open_work_scoped_via', 'scoped_via_request_id'),
        MYSQL_TABLE_ARGS,
    )

    id = sa.Column(_ID, primary_key=True, autoincrement=True)
    item_key = sa.Column(types.SortedIdentifier(300), nullable=False)
    kind = sa.Column(sa.SmallInteger, nullable=False)
    operation = sa.Column(sa.String(128), nullable=False)
    attempt = sa.Column(sa.SmallInteger, nullable=False)
    resource_id = sa.Column(types.Identifier(255))
    request_id = sa.Column(types.Identifier(255))
    project_id = sa.Column(types.Identifier(64))
    since_us = sa.Column(sa.BigInteger)
    scoped_since_us = sa.Column(sa.BigInteger)
    via_request_id = sa.Column(types.Identifier(255))
    scoped_via_request_id = sa.Column(types.Identifier(255))


class Request(Base):
    """A request id seen in notifications (traces handler)."""

    __tablename__ = 'requests'
    __table_args__ = (
        sa.Index('ix_requests_first', 'first_us'),
        sa.Index('ix_requests_global', 'global_request_id'),
        sa.Index('ix_requests_project', 'project_id', 'first_us'),
        sa.Index('ix_requests_operation', 'operation', 'first_us'),
        MYSQL_TABLE_ARGS,
    )

    request_id = sa.Column(types.Identifier(255), primary_key=True)
    global_request_id = sa.Column(types.Identifier(255))
    project_id = sa.Column(types.Identifier(64))
    first_us = sa.Column(sa.BigInteger, nullable=False)
    first_message_id = sa.Column(types.Identifier(128), nullable=False)
    last_us = sa.Column(sa.BigInteger, nullable=False)
    end_us = sa.Column(sa.BigInteger)
    end_format = sa.Column(sa.SmallInteger)
    service = sa.Column(sa.String(64))
    host = sa.Column(sa.String(255))
    first_event_type = sa.Column(sa.String(255))
    operation = sa.Column(sa.String(128))
    operation_us = sa.Column(sa.BigInteger)
    failed = sa.Column(sa.Boolean, nullable=False)
    notifications = sa.Column(sa.Integer, nullable=False)


class ProfilerSpan(Base):
    """One OSProfiler trace point (``<name>-start`` / ``<name>-stop``)."""

    __tablename__ = 'profiler_spans'
    __table_args__ = (
        sa.Index('ix_profiler_spans_base', 'base_id'),
        sa.Index('ix_profiler_spans_request', 'request_id'),
        MYSQL_TABLE_ARGS,
    )

    trace_id = sa.Column(types.Identifier(255), primary_key=True)
    base_id = sa.Column(types.Identifier(255))
    parent_id = sa.Column(types.Identifier(255))
    name = sa.Column(sa.String(255))
    service = sa.Column(sa.String(64))
    host = sa.Column(sa.String(255))
    project_id = sa.Column(types.Identifier(64))
    request_id = sa.Column(types.Identifier(255))
    start_us = sa.Column(sa.BigInteger)
    end_us = sa.Column(sa.BigInteger)
    failed = sa.Column(sa.Boolean, nullable=False)


class ErrorEvent(Base):
    """One failure notification (errors handler), with its fingerprint.

    ``twin_key`` names the failed operation of a resource and request
    independently of the format: a versioned row and a legacy row with
    the same key a moment apart are nova's ``both`` twins of one failure,
    counted once by the queries.
    """

    __tablename__ = 'error_events'
    __table_args__ = (
        sa.UniqueConstraint('message_id', name='uq_error_events_message'),
        sa.Index('ix_error_events_fingerprint', 'fingerprint',
                 'generated_us'),
        sa.Index('ix_error_events_generated', 'generated_us'),
        sa.Index('ix_error_events_project', 'project_id', 'generated_us'),
        sa.Index('ix_error_events_request', 'request_id'),
        sa.Index('ix_error_events_resource', 'resource_id'),
        MYSQL_TABLE_ARGS,
    )

    id = sa.Column(_ID, primary_key=True, autoincrement=True)
    message_id = sa.Column(types.Identifier(128), nullable=False)
    twin_key = sa.Column(sa.String(40), nullable=False)
    versioned = sa.Column(sa.Boolean, nullable=False)
    fingerprint = sa.Column(sa.String(16), nullable=False)
    exception = sa.Column(sa.String(255))
    message = sa.Column(types.LongText)
    masked_message = sa.Column(types.LongText)
    function_name = sa.Column(sa.String(255))
    module_name = sa.Column(sa.String(255))
    operation = sa.Column(sa.String(128))
    event_type = sa.Column(sa.String(255), nullable=False)
    priority = sa.Column(sa.String(16), nullable=False)
    generated_us = sa.Column(sa.BigInteger, nullable=False)
    service = sa.Column(sa.String(64))
    host = sa.Column(sa.String(255))
    request_id = sa.Column(types.Identifier(255))
    resource_id = sa.Column(types.Identifier(255))
    project_id = sa.Column(types.Identifier(64))


class OperationRollup(Base):
    """The operations that ended in one hour or one day, per operation,
    service and host (rollups handler): exact counts and extremes, and a
    quantile sketch of their durations merged at query time (see
    ``analyses.rollups``).

    ``width_us`` is an hour or a day and ``bucket_us`` the start of that
    period (UTC). ``all_hosts`` cells count every host of their operation
    and service (``host`` is '' there); the others count one host, the
    operation's host, else its end host ('' when unknown). ``measured``
    counts the operations of known duration (a start was seen);
    ``sketch`` holds their durations' bins. No project: a project's
    timing summary reads its own operations.
    """

    __tablename__ = 'operation_rollups'
    __table_args__ = (
        sa.UniqueConstraint('width_us', 'all_hosts', 'bucket_us',
                            'operation', 'service', 'host',
                            name='uq_operation_rollups_key'),
        MYSQL_TABLE_ARGS,
    )

    id = sa.Column(_ID, primary_key=True, autoincrement=True)
    width_us = sa.Column(sa.BigInteger, nullable=False)
    all_hosts = sa.Column(sa.Boolean, nullable=False)
    bucket_us = sa.Column(sa.BigInteger, nullable=False)
    operation = sa.Column(sa.String(128), nullable=False)
    service = sa.Column(sa.String(64), nullable=False)
    host = sa.Column(sa.String(255), nullable=False)
    count = sa.Column(sa.Integer, nullable=False)
    errors = sa.Column(sa.Integer, nullable=False)
    measured = sa.Column(sa.Integer, nullable=False)
    min_us = sa.Column(sa.BigInteger)
    max_us = sa.Column(sa.BigInteger)
    sketch = sa.Column(sa.Text, nullable=False)


class RequestRollup(Base):
    """The latency of the requests that started in one hour or one day
    and ended, per operation (rollups handler): exact counts and
    extremes and a quantile sketch, as ``OperationRollup``; what
    ``/v1/summary`` reports as request latency for every project.
    ``operation`` is the request's ('' when unknown).
    """

    __tablename__ = 'request_rollups'
    __table_args__ = (
        sa.UniqueConstraint('width_us', 'bucket_us', 'operation',
                            name='uq_request_rollups_key'),
        MYSQL_TABLE_ARGS,
    )

    id = sa.Column(_ID, primary_key=True, autoincrement=True)
    width_us = sa.Column(sa.BigInteger, nullable=False)
    bucket_us = sa.Column(sa.BigInteger, nullable=False)
    operation = sa.Column(sa.String(128), nullable=False)
    count = sa.Column(sa.Integer, nullable=False)
    errors = sa.Column(sa.Integer, nullable=False)
    measured = sa.Column(sa.Integer, nullable=False)
    min_us = sa.Column(sa.BigInteger)
    max_us = sa.Column(sa.BigInteger)
    sketch = sa.Column(sa.Text, nullable=False)


class RollupDirtyHour(Base):
    """An hour whose ended operations (by their end) or requests (by
    their start) changed since its roll-up cells were computed (rollups
    handler). ``version`` grows with every change;
    ``changed_us`` is the writer's clock at the last one. The roller
    recomputes the hour's cells and its day's, then deletes the row if
    its version is still the one it read (see ``analyses.rollups``);
    until then the queries read the hour's operations.
    """

    __tablename__ = 'rollup_dirty_hours'
    __table_args__ = (MYSQL_TABLE_ARGS,)

    hour_us = sa.Column(sa.BigInteger, primary_key=True,
                        autoincrement=False)
    version = sa.Column(sa.Integer, nullable=False)
    changed_us = sa.Column(sa.BigInteger, nullable=False)


class SummaryCount(Base):
    """Notification and error counts per time bucket and project, for each
    value of each breakdown dimension (summary handler).

    ``dimension`` is ``event_type``, ``service`` or ``host`` and ``name``
    its value ('' when unknown): every notification is counted once in
    each dimension. One row per value rather than per combination of
    values keeps a day's rows few (the combinations of event type, host
    and project are nearly as many as the notifications), so the summary
    of a day sums a few thousand rows.
    """

    __tablename__ = 'summary_counts'
    __table_args__ = (
        sa.UniqueConstraint('bucket_us', 'dimension', 'name', 'project_id',
                            name='uq_summary_counts_key'),
        sa.Index('ix_summary_counts_project', 'project_id', 'bucket_us'),
        MYSQL_TABLE_ARGS,
    )

    id = sa.Column(_ID, primary_key=True, autoincrement=True)
    bucket_us = sa.Column(sa.BigInteger, nullable=False)
    dimension = sa.Column(sa.String(16), nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(types.Identifier(64), nullable=False)
    notifications = sa.Column(sa.BigInteger, nullable=False)
    errors = sa.Column(sa.BigInteger, nullable=False)


class SummaryRollup(Base):
    """Notification and error counts of every project per hour and per
    day, for each value of each breakdown dimension, with the first and
    last time a value was seen (summary handler). The month's
    ``/v1/summary``, ``/v1/hosts``, ``/v1/services`` and
    ``/v1/event_types`` read them instead of a month of buckets or of
    notifications. Sums, minimums and maximums: merged in any order.
    """

    __tablename__ = 'summary_rollups'
    __table_args__ = (
        sa.UniqueConstraint('width_us', 'bucket_us', 'dimension', 'name',
                            name='uq_summary_rollups_key'),
        # The hourly series of ``/v1/summary`` reads one dimension of a
        # month of hours, a few rows an hour among hundreds.
        sa.Index('ix_summary_rollups_dimension', 'width_us', 'dimension',
                 'bucket_us'),
        MYSQL_TABLE_ARGS,
    )

    id = sa.Column(_ID, primary_key=True, autoincrement=True)
    width_us = sa.Column(sa.BigInteger, nullable=False)
    bucket_us = sa.Column(sa.BigInteger, nullable=False)
    dimension = sa.Column(sa.String(16), nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    notifications = sa.Column(sa.BigInteger, nullable=False)
    errors = sa.Column(sa.BigInteger, nullable=False)
    first_us = sa.Column(sa.BigInteger, nullable=False)
    last_us = sa.Column(sa.BigInteger, nullable=False)
