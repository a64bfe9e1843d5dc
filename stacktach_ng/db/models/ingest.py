"""Models of the ingest core.

Column names of ``Notification`` are the keys of a normalized record (see
``stacktach_ng.pipeline.normalize``): the notifications handler inserts records
as they are. Analysis handlers add their own models in their own modules and
their own migrations.
"""

import sqlalchemy as sa

from stacktach_ng.db import types
from stacktach_ng.db.models.base import MYSQL_TABLE_ARGS
from stacktach_ng.db.models.base import Base


class Notification(Base):
    """One notification as received, normalized and scrubbed.

    On PostgreSQL the table is partitioned by ``generated_at``, a
    partition per day (see ``db.partitions``), so that a purge drops
    whole days. A unique key of a partitioned table must hold the
    partition key, which a message id does not: the message ids are kept
    unique in ``notification_ids`` instead, on every backend.
    """

    __tablename__ = 'notifications'
    __table_args__ = (
        sa.Index('ix_notifications_message_id', 'message_id'),
        sa.Index('ix_notifications_generated_at', 'generated_at'),
        sa.Index('ix_notifications_event_type', 'event_type', 'generated_at'),
        sa.Index('ix_notifications_request_id', 'request_id'),
        sa.Index('ix_notifications_global_request_id', 'global_request_id'),
        sa.Index('ix_notifications_resource', 'resource_id', 'generated_at'),
        sa.Index('ix_notifications_project', 'project_id', 'generated_at'),
        sa.Index('ix_notifications_host', 'host', 'generated_at'),
        sa.Index('ix_notifications_service', 'service', 'generated_at'),
        dict(MYSQL_TABLE_ARGS,
             postgresql_partition_by='RANGE (generated_at)'),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True, autoincrement=True)
    message_id = sa.Column(types.Identifier(128), nullable=False)
    event_type = sa.Column(sa.String(255), nullable=False)
    priority = sa.Column(sa.String(16), nullable=False)
    publisher_id = sa.Column(sa.String(255))
    service = sa.Column(sa.String(64))
    host = sa.Column(sa.String(255))
    generated_at = sa.Column(types.DateTime, nullable=False)
    received_at = sa.Column(types.DateTime, nullable=False)
    request_id = sa.Column(types.Identifier(255))
    global_request_id = sa.Column(types.Identifier(255))
    project_id = sa.Column(types.Identifier(64))
    user_id = sa.Column(types.Identifier(64))
    resource_type = sa.Column(sa.String(64))
    resource_id = sa.Column(types.Identifier(255))
    vm_state = sa.Column(sa.String(32))
    old_vm_state = sa.Column(sa.String(32))
    task_state = sa.Column(sa.String(64))
    old_task_state = sa.Column(sa.String(64))
    power_state = sa.Column(sa.String(32))
    object_name = sa.Column(sa.String(128))
    object_version = sa.Column(sa.String(16))
    payload = sa.Column(types.JsonText, nullable=False)
    context = sa.Column(types.JsonText, nullable=False)
    # The message had no timestamp: generated_at is when it was received.
    timestamp_missing = sa.Column(sa.Boolean, nullable=False, default=False,
                                  server_default=sa.false())
    # The id the message came with, when another message had it first
    # with other content; message_id is then derived from both (see
    # pipeline.identity).
    conflict_of = sa.Column(types.Identifier(128))


class NotificationId(Base):
    """The message id of every stored notification, once.

    The notifications handler inserts a batch's ids here first: a unique
    violation is a message stored already. The key cannot be the pair
    (message id, generated time) in ``notifications`` itself: a message
    without a timestamp is dated when it is received, so its redelivery
    would get another time and be stored twice. ``generated_at`` is the
    time of the notification, by which the purge removes the ids with
    their notifications.
    """

    __tablename__ = 'notification_ids'
    __table_args__ = (
        sa.Index('ix_notification_ids_generated_at', 'generated_at'),
        MYSQL_TABLE_ARGS,
    )

    message_id = sa.Column(types.Identifier(128), primary_key=True)
    generated_at = sa.Column(types.DateTime, nullable=False)


class RejectedMessage(Base):
    """A message that could not be stored, kept for the operator to read."""

    __tablename__ = 'rejected_messages'
    __table_args__ = (
        sa.Index('ix_rejected_messages_received_at', 'received_at'),
        MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True, autoincrement=True)
    received_at = sa.Column(types.DateTime, nullable=False)
    source = sa.Column(sa.String(32), nullable=False)
    reason = sa.Column(sa.String(255), nullable=False)
    message_id = sa.Column(types.Identifier(128))
    event_type = sa.Column(sa.String(255))
    publisher_id = sa.Column(sa.String(255))
    size = sa.Column(sa.Integer, nullable=False)
    excerpt = sa.Column(types.LongText, nullable=False)


class ListenerHeartbeat(Base):
    """The liveness and counters of one listener worker process."""

    __tablename__ = 'listener_heartbeats'
    __table_args__ = (
        MYSQL_TABLE_ARGS,
    )

    worker = sa.Column(sa.String(255), primary_key=True)
    host = sa.Column(sa.String(255), nullable=False)
    started_at = sa.Column(types.DateTime, nullable=False)
    last_seen = sa.Column(types.DateTime, nullable=False)
    stored = sa.Column(sa.BigInteger, nullable=False, default=0)
    duplicates = sa.Column(sa.BigInteger, nullable=False, default=0)
    rejected = sa.Column(sa.BigInteger, nullable=False, default=0)
    requeued = sa.Column(sa.BigInteger, nullable=False, default=0)
    batches = sa.Column(sa.BigInteger, nullable=False, default=0)
    conflicts = sa.Column(sa.BigInteger, nullable=False, default=0,
                          server_default='0')
    undated = sa.Column(sa.BigInteger, nullable=False, default=0,
                        server_default='0')
