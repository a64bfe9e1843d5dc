"""Models of usage tracking and verification.

* ``usage_launches``: every moment an instance started to be billed at a
  flavor (create, rebuild, resize finish and revert, rescue, unrescue), and
  the launches observed in other instance notifications. Keyed by
  (instance, effective time), so that a replay writes the same rows.
* ``usage_storage``: images and volumes with their size from a moment on
  (upload, create, resize).
* ``usage_deletes``: the deletion of an instance, image or volume.
* ``usage_exists``: the ``.exists`` audit records and their verification
  status, one per resource and audit period (the legacy and versioned
  copies nova sends of one record are one row); the verifier claims rows
  through ``claimed_by``/``claimed_until``.
* ``usage_audit_periods``: the regular audit periods seen in exists
  records, and when they were last checked for missing exists.
* ``usage_missing``: instances alive during an audit period that got no
  exists record for it.
"""

import sqlalchemy as sa

from stacktach_ng.db import types
from stacktach_ng.db.models.base import MYSQL_TABLE_ARGS
from stacktach_ng.db.models.base import Base


def _id():
    return sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                     primary_key=True, autoincrement=True)


class UsageLaunch(Base):
    """An instance billed at a flavor from ``effective_at`` on.

    ``evidence`` 0 is a launch notification (``*.create.end`` ...), 1 a
    launch seen in another notification of the instance (an update, the
    start of a rebuild), 2 a launch an exists reports (it bills, it never
    verifies); the lower evidence, then the earlier notification,
    wins when two notifications describe the same key.
    """

    __tablename__ = 'usage_launches'
    __table_args__ = (
        sa.UniqueConstraint('instance_id', 'effective_at',
                            name='uq_usage_launches_instance'),
        sa.Index('ix_usage_launches_project', 'project_id', 'effective_at'),
        sa.Index('ix_usage_launches_effective_at', 'effective_at'),
        MYSQL_TABLE_ARGS,
    )

    id = _id()
    instance_id = sa.Column(types.Identifier(64), nullable=False)
    launched_at = sa.Column(types.DateTime, nullable=False)
    effective_at = sa.Column(types.DateTime, nullable=False)
    kind = sa.Column(sa.String(16), nullable=False)
    evidence = sa.Column(sa.SmallInteger, nullable=False)
    project_id = sa.Column(types.Identifier(64))
    user_id = sa.Column(types.Identifier(64))
    flavor_id = sa.Column(types.Identifier(64))
    flavor_name = sa.Column(sa.String(255))
    instance_type_id = sa.Column(types.Identifier(64))
    vcpus = sa.Column(sa.Integer)
    memory_mb = sa.Column(sa.Integer)
    root_gb = sa.Column(sa.Integer)
    ephemeral_gb = sa.Column(sa.Integer)
    image_id = sa.Column(types.Identifier(64))
    message_id = sa.Column(types.Identifier(128), nullable=False)
    generated_at = sa.Column(types.DateTime, nullable=False)


class UsageStorage(Base):
    """An image or a volume of ``size_bytes`` from ``started_at`` on."""

    __tablename__ = 'usage_storage'
    __table_args__ = (
        sa.UniqueConstraint('resource_type', 'resource_id', 'started_at',
                            name='uq_usage_storage_resource'),
        sa.Index('ix_usage_storage_project', 'project_id', 'started_at'),
        MYSQL_TABLE_ARGS,
    )

    id = _id()
    resource_type = sa.Column(sa.String(16), nullable=False)
    resource_id = sa.Column(types.Identifier(64), nullable=False)
    started_at = sa.Column(types.DateTime, nullable=False)
    created_at = sa.Column(types.DateTime)
    kind = sa.Column(sa.String(16), nullable=False)
    project_id = sa.Column(types.Identifier(64))
    size_bytes = sa.Column(sa.BigInteger)
    volume_type = sa.Column(sa.String(255))
    message_id = sa.Column(types.Identifier(128), nullable=False)
    generated_at = sa.Column(types.DateTime, nullable=False)


class UsageDelete(Base):
    """The deletion of an instance, an image or a volume."""

    __tablename__ = 'usage_deletes'
    __table_args__ = (
        sa.UniqueConstraint('resource_type', 'resource_id',
                            name='uq_usage_deletes_resource'),
        sa.Index('ix_usage_deletes_project', 'project_id', 'deleted_at'),
        sa.Index('ix_usage_deletes_deleted_at', 'deleted_at'),
        MYSQL_TABLE_ARGS,
    )

    id = _id()
    resource_type = sa.Column(sa.String(16), nullable=False)
    resource_id = sa.Column(types.Identifier(64), nullable=False)
    project_id = sa.Column(types.Identifier(64))
    launched_at = sa.Column(types.DateTime)
    deleted_at = sa.Column(types.DateTime, nullable=False)
    terminated_at = sa.Column(types.DateTime)
    message_id = sa.Column(types.Identifier(128), nullable=False)
    generated_at = sa.Column(types.DateTime, nullable=False)


class UsageExists(Base):
    """One ``.exists`` audit record (one per image of a glance exists),
    stored once whatever the number of copies and formats it came in."""

    __tablename__ = 'usage_exists'
    __table_args__ = (
        # One row per audit record whatever the format and message that
        # carried it (see usage.store.write_exists). A record with no full
        # period has no such identity: NULLs never collide in a unique
        # key, and the message key below still makes its redelivery a
        # no-op.
        sa.UniqueConstraint('resource_type', 'resource_id',
                            'audit_period_beginning', 'audit_period_ending',
                            name='uq_usage_exists_audit'),
        sa.UniqueConstraint('message_id', 'resource_id',
                            name='uq_usage_exists_message'),
        sa.Index('ix_usage_exists_status', 'status', 'id'),
        sa.Index('ix_usage_exists_resource', 'resource_id',
                 'audit_period_ending'),
        sa.Index('ix_usage_exists_project', 'project_id',
                 'audit_period_ending'),
        sa.Index('ix_usage_exists_period', 'audit_period_beginning',
                 'audit_period_ending', 'received_at'),
        MYSQL_TABLE_ARGS,
    )

    id = _id()
    message_id = sa.Column(types.Identifier(128), nullable=False)
    event_type = sa.Column(sa.String(255), nullable=False)
    resource_type = sa.Column(sa.String(16), nullable=False)
    resource_id = sa.Column(types.Identifier(64), nullable=False)
    project_id = sa.Column(types.Identifier(64))
    user_id = sa.Column(types.Identifier(64))
    launched_at = sa.Column(types.DateTime)
    deleted_at = sa.Column(types.DateTime)
    audit_period_beginning = sa.Column(types.DateTime)
    audit_period_ending = sa.Column(types.DateTime)
    flavor_id = sa.Column(types.Identifier(64))
    flavor_name = sa.Column(sa.String(255))
    instance_type_id = sa.Column(types.Identifier(64))
    vcpus = sa.Column(sa.Integer)
    memory_mb = sa.Column(sa.Integer)
    root_gb = sa.Column(sa.Integer)
    ephemeral_gb = sa.Column(sa.Integer)
    image_id = sa.Column(types.Identifier(64))
    size_bytes = sa.Column(sa.BigInteger)
    volume_type = sa.Column(sa.String(255))
    generated_at = sa.Column(types.DateTime, nullable=False)
    received_at = sa.Column(types.DateTime, nullable=False)
    status = sa.Column(sa.String(16), nullable=False)
    reason = sa.Column(sa.String(64))
    detail = sa.Column(sa.String(255))
    verified_at = sa.Column(types.DateTime)
    attempts = sa.Column(sa.Integer, nullable=False)
    claimed_by = sa.Column(sa.String(64))
    claimed_until = sa.Column(types.DateTime)
    notified_at = sa.Column(types.DateTime)


class UsageAuditPeriod(Base):
    """A regular audit period (an hour, a day, a month, a year) seen in
    instance exists records."""

    __tablename__ = 'usage_audit_periods'
    __table_args__ = (
        sa.UniqueConstraint('beginning', 'ending',
                            name='uq_usage_audit_periods'),
        MYSQL_TABLE_ARGS,
    )

    id = _id()
    beginning = sa.Column(types.DateTime, nullable=False)
    ending = sa.Column(types.DateTime, nullable=False)
    checked_at = sa.Column(types.DateTime)
    missing = sa.Column(sa.Integer, nullable=False)


class UsageMissing(Base):
    """An instance alive during an audit period with no exists for it."""

    __tablename__ = 'usage_missing'
    __table_args__ = (
        sa.UniqueConstraint('instance_id', 'audit_period_beginning',
                            'audit_period_ending',
                            name='uq_usage_missing_instance'),
        sa.Index('ix_usage_missing_period', 'audit_period_beginning',
                 'audit_period_ending'),
        sa.Index('ix_usage_missing_project', 'project_id',
                 'audit_period_ending'),
        MYSQL_TABLE_ARGS,
    )

    id = _id()
    instance_id = sa.Column(types.Identifier(64), nullable=False)
    project_id = sa.Column(types.Identifier(64))
    launched_at = sa.Column(types.DateTime, nullable=False)
    audit_period_beginning = sa.Column(types.DateTime, nullable=False)
    audit_period_ending = sa.Column(types.DateTime, nullable=False)
    detected_at = sa.Column(types.DateTime, nullable=False)
