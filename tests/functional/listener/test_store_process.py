"""Store processes on each database: batches in, committed rows out."""

import os
import signal

import pytest
import sqlalchemy as sa

from stacktach_ng.db import models
from stacktach_ng.listener import store_process
from stacktach_ng.listener import transient
from stacktach_ng.pipeline import rejection

NOTIFICATIONS = models.Notification.__table__
REJECTED = models.RejectedMessage.__table__


def _envelope(number):
    return {'priority': 'INFO',
            'ctxt': {'request_id': 'req-%08d' % number},
            'publisher_id': 'compute.host-%d' % (number % 3),
            'event_type': 'compute.instance.create.start',
            'payload': {'instance_id': 'inst-%d' % number},
            'metadata': {'message_id': 'msg-%08d' % number,
                         'timestamp': '2026-11-22 10:00:%02d.000001'
                                      % (number % 60)}}


def _count(conf, table):
    engine = sa.create_engine(conf.database.connection,
                              poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(table)).scalar()
    finally:
        engine.dispose()


@pytest.fixture
def store(migrated_conf):
    migrated_conf.set_override('handlers', ['notifications', 'errors'],
                               group='listener')
    processes = store_process.StoreProcesses(migrated_conf, 2)
    processes.start()
    yield processes
    processes.stop()


def test_batches_are_committed_by_the_children(store, migrated_conf):
    # The children read the database URL from the snapshot of a conf
    # built in code: no config file names it.
    assert store.handler_names == ['notifications', 'errors']
    first = store.process([_envelope(n) for n in range(50)])
    assert (first.received, first.stored, first.duplicates) == (50, 50, 0)
    again = store.process([_envelope(n) for n in range(40, 60)]
                          + [rejection.Rejected('no event type', {'x': 1})])
    assert (again.stored, again.duplicates, again.rejected) == (10, 10, 1)
    assert _count(migrated_conf, NOTIFICATIONS) == 60
    assert _count(migrated_conf, REJECTED) == 1


def test_a_child_that_dies_fails_its_batch_as_transient(store,
                                                        migrated_conf):
    child = store._children[0]
    old_pid = child.process.pid
    os.kill(old_pid, signal.SIGKILL)
    child.process.wait(10)
    with pytest.raises(store_process.StoreError) as failed:
        child.call([_envelope(1)], None)
    assert failed.value.transient
    # Replaced at once; the requeued batch is stored on its redelivery.
    assert child.alive and child.process.pid != old_pid
    result = store.process([_envelope(1)])
    assert result.stored == 1
    assert _count(migrated_conf, NOTIFICATIONS) == 1


def test_children_ignore_sigterm_until_the_worker_stops_them(store):
    pids = [child.process.pid for child in store._children]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    # Still serving: SIGTERM is for the worker, which finishes its
    # batches first and then stops the children.
    assert store.process([_envelope(7)]).stored == 1
    processes = [child.process for child in store._children]
    store.stop()
    for process in processes:
        assert process.poll() == 0


def test_a_database_error_comes_back_as_in_process(database_url):
    """The listener decides requeue or reject on the child's error exactly
    as on the same error raised in its own process."""
    from stacktach_ng.db import api as db_api
    from stacktach_ng.pipeline import runner
    from tests import base

    # Not migrated: every insert fails.
    conf = base.make_conf(database_url,
                          listener={'handlers': ['notifications']})
    database = db_api.Database(conf)
    try:
        with pytest.raises(Exception) as local:
            runner.Pipeline(conf, database).process([_envelope(1)])
    finally:
        database.dispose()
    processes = store_process.StoreProcesses(conf, 1)
    processes.start()
    try:
        with pytest.raises(store_process.StoreError) as remote:
            processes.process([_envelope(1)])
    finally:
        processes.stop()
    assert remote.value.type_name == type(local.value).__name__
    assert remote.value.transient == transient.is_transient(local.value)
    assert 'Traceback' in remote.value.remote_traceback
