"""The stuck list read from ``open_work`` against the one read from every
candidate, on each backend, whatever the order of arrival; and the rows
a rebuild, the migration's fill and a purge leave."""

import datetime
import importlib

import sqlalchemy as sa

from stacktach_ng.analyses import open_work
from stacktach_ng.db import models
from stacktach_ng.pipeline import runner as pipeline
from stacktach_ng.queries import lifecycles
from stacktach_ng.replay import rebuild as rebuild_command
from stacktach_ng.retention import purge
from stacktach_ng.simulator import engine
from tests.functional.analyses import fixtures
from tests.functional.analyses import test_analyses

_MIGRATION = importlib.import_module(
    'stacktach_ng.db.migrations.versions.0010_open_work')
_START = datetime.datetime(2026, 3, 1, 0, 0, 0)


def _messages(count=2500):
    # Some hours of a small cloud where many operations never end.
    simulator = engine.Simulator(seed=23, start=_START, fmt='both',
                                 failure_rate=0.2, stuck_rate=0.3,
                                 ops_per_hour=20, projects=4)
    return list(simulator.messages(count=count))


def _open_work(database):
    return fixtures.snapshot(database, ('open_work',))['open_work']


def _projects(database):
    with database.reader() as connection:
        return sorted(connection.execute(sa.select(
            models.analyses.Resource.project_id).distinct().where(
            models.analyses.Resource.project_id.is_not(None))).scalars())


def _pages(connection, **args):
    """Every item of the new list, seven at a time through markers."""
    marker, items = None, []
    while True:
        page, more = lifecycles.list_stuck(
            connection, use_open_work=True, marker=marker, limit=7, **args)
        items.extend(page)
        if not more:
            return items
        marker = lifecycles.stuck_key(page[-1])


def _assert_same_lists(database, end):
    """The new list is the old one at several times, thresholds and
    scopes, whole and page by page; returns how many items were
    compared."""
    compared = 0
    projects = [None] + _projects(database)[:4]
    with database.reader() as connection:
        for hours_before in (0, 1, 2):
            now = end - datetime.timedelta(hours=hours_before)
            for older_than in (60, 600, 3600):
                for project in projects:
                    args = dict(now=now, older_than=older_than,
                                project_id=project)
                    old, _more = lifecycles.list_stuck(
                        connection, limit=100000, **args)
                    new, more = lifecycles.list_stuck(
                        connection, limit=100000, use_open_work=True,
                        **args)
                    assert (new, more) == (old, False), args
                    assert _pages(connection, **args) == old, args
                    compared += len(old)
    return compared


def test_the_new_list_is_the_old_one_in_any_order(migrated_conf):
    messages = _messages()
    end = max(test_analyses._ts(m['timestamp']) for m in messages)
    database = fixtures.load(migrated_conf, messages, batch_size=100)
    try:
        expected = _open_work(database)
        assert len(expected) > 8
        assert _assert_same_lists(database, end) > 100
        for ordered, batch_size in (
                (list(reversed(messages)), 113),
                (test_analyses._with_duplicates(
                    test_analyses._windows_shuffled(messages, 300, 4),
                    0.05, 5), 61)):
            fixtures.empty(database, migrated_conf)
            fixtures.load(migrated_conf, ordered,
                          batch_size=batch_size).dispose()
            assert _open_work(database) == expected
    finally:
        database.dispose()


def test_rebuild_and_the_migration_fill_give_the_same_rows(migrated_conf):
    database = fixtures.load(migrated_conf, _messages(1200), batch_size=64)
    try:
        expected = _open_work(database)
        assert expected
        handlers = [h for h in pipeline.load_handlers(migrated_conf)
                    if h.name == 'open_work']
        rebuild_command.rebuild_handlers(database, handlers, chunk_size=150)
        assert _open_work(database) == expected
        # What the migration does to a database that has resources and
        # operations and no open_work rows yet.
        with database.writer() as connection:
            connection.execute(open_work.OPEN_WORK.delete())
            _MIGRATION._fill(connection)
        assert _open_work(database) == expected
    finally:
        database.dispose()


def test_purge_leaves_what_the_rest_derives(migrated_conf):
    messages = _messages(1500)
    end = max(test_analyses._ts(m['timestamp']) for m in messages)
    database = fixtures.load(migrated_conf, messages, batch_size=100)
    try:
        before = _open_work(database)
        # Keep the last hours of traffic: part of what is open goes.
        purge.run(migrated_conf, database, kinds=[purge.NOTIFICATIONS],
                  older_than=datetime.timedelta(hours=2), batch_size=50,
                  now=end)
        after = _open_work(database)
        assert after and len(after) < len(before)
        with database.writer() as connection:
            connection.execute(open_work.OPEN_WORK.delete())
            _MIGRATION._fill(connection)
        assert _open_work(database) == after
        assert _assert_same_lists(database, end) > 0
    finally:
        database.dispose()
