"""Migrations on every backend: from empty to head, and they match the
models."""

import datetime

import pytest
import sqlalchemy as sa
from alembic import autogenerate
from alembic import migration as alembic_migration
from oslo_db import exception as db_exc

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.db import partitions
from tests import base


def _not_a_partition(name, type_, parent_names):
    return not (type_ == 'table' and partitions.is_partition(name))


def test_upgrade_from_empty_matches_models(database_url):
    database = db_api.Database(base.make_conf(database_url))
    assert migration.current_revision(database) is None
    migration.upgrade(database)
    assert migration.current_revision(database) == migration.head_revision()
    with database.engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(
            connection, opts={'compare_type': True,
                              'include_name': _not_a_partition})
        diff = autogenerate.compare_metadata(context, models.Base.metadata)
    assert diff == []
    # Upgrading again is a no-op.
    migration.upgrade(database)
    assert migration.is_at_head(database)
    database.dispose()


def _exists_row(row_id, message_id, event_type, resource_id, period,
                status='verified'):
    beginning, ending = period
    moment = datetime.datetime(2026, 3, 3, 0, 5)
    return {
        'id': row_id, 'message_id': message_id, 'event_type': event_type,
        'resource_type': 'instance', 'resource_id': resource_id,
        'audit_period_beginning': beginning, 'audit_period_ending': ending,
        'generated_at': moment, 'received_at': moment, 'status': status,
        'attempts': 1,
    }


def test_upgrade_keeps_one_exists_per_audit_record(database_url):
    """0004 removes the copies of an audit record stored before it: the
    legacy one stays (then the smallest message id), with its verdict."""
    database = db_api.Database(base.make_conf(database_url))
    migration.upgrade(database, revision='0003')
    day2 = (datetime.datetime(2026, 3, 2), datetime.datetime(2026, 3, 3))
    resize = (day2[0], datetime.datetime(2026, 3, 2, 15, 30, 12))
    legacy, versioned = 'compute.instance.exists', 'instance.exists'
    exists = sa.table('usage_exists', *[sa.column(name) for name in (
        'id', 'message_id', 'event_type', 'resource_type', 'resource_id',
        'audit_period_beginning', 'audit_period_ending', 'generated_at',
        'received_at', 'status', 'attempts')])
    rows = [
        # Twins: the versioned copy was stored first and decided.
        _exists_row(1, 'a-versioned', versioned, 'i-1', day2, 'failed'),
        _exists_row(2, 'z-legacy', legacy, 'i-1', day2),
        # Three copies of one format: the smallest message id stays.
        _exists_row(3, 'm-3', legacy, 'i-2', day2),
        _exists_row(4, 'm-1', legacy, 'i-2', day2, 'pending'),
        _exists_row(5, 'm-2', legacy, 'i-2', day2),
        # Another period of the same instance: another record.
        _exists_row(6, 'r-1', legacy, 'i-1', resize),
        # No period: left as they are.
        _exists_row(7, 'n-1', legacy, 'i-3', (None, None)),
        _exists_row(8, 'n-2', versioned, 'i-3', (None, None)),
    ]
    with database.writer() as connection:
        connection.execute(exists.insert(), rows)
    migration.upgrade(database)
    assert migration.is_at_head(database)
    with database.reader() as connection:
        kept = connection.execute(
            sa.select(exists.c.id, exists.c.message_id, exists.c.status)
            .order_by(exists.c.id)).all()
    assert [tuple(row) for row in kept] == [
        (2, 'z-legacy', 'verified'), (4, 'm-1', 'pending'),
        (6, 'r-1', 'verified'), (7, 'n-1', 'verified'),
        (8, 'n-2', 'verified')]
    # The new key holds.
    with pytest.raises(db_exc.DBDuplicateEntry):
        with database.writer() as connection:
            connection.execute(exists.insert(), [_exists_row(
                9, 'b-versioned', versioned, 'i-1', day2)])
    database.dispose()


def test_upgrade_to_0009_counts_and_marks_what_is_stored(database_url):
    """0009 counts the stored notifications into ``summary_rollups``, as
    the summary handler counts new ones, and marks the hours of the ended
    operations, whose cells a roll then computes as a load at head
    does."""
    from stacktach_ng.analyses import rollups
    from tests.functional.analyses import fixtures
    from tests.functional.analyses import test_rollups

    messages = test_rollups._messages(count=1500)
    conf = base.make_conf(database_url)
    database = db_api.Database(conf)
    migration.upgrade(database, revision='0008')
    # What 0008 stored: the notifications and their operations (the
    # handlers of 0008's tables only).
    conf.set_override('handlers', ['notifications', 'timings'], 'listener')
    fixtures.load(conf, messages, batch_size=200).dispose()
    migration.upgrade(database)
    with database.reader() as connection:
        marked = rollups.dirty_hours(connection, 0, 2 ** 62)
    assert marked
    assert rollups.roll(database) == len(marked)
    upgraded = fixtures.snapshot(database, ('summary_rollups',
                                            'operation_rollups',
                                            'rollup_dirty_hours'))
    # The same messages loaded at head by every default handler.
    conf.clear_override('handlers', 'listener')
    fixtures.empty(database)
    fixtures.load(conf, messages, batch_size=200).dispose()
    loaded = fixtures.snapshot(database, ('summary_rollups',
                                          'operation_rollups',
                                          'rollup_dirty_hours'))
    assert upgraded['summary_rollups']
    assert upgraded == loaded
    database.dispose()
