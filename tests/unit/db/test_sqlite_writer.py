"""The writer's connection to a SQLite file outlives its transactions."""

import pytest
from oslo_db import exception as db_exc

from stacktach_ng.db import api as db_api
from tests import base


@pytest.fixture
def database(tmp_path):
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'w.sqlite'))
    database = db_api.Database(conf)
    with database.writer() as connection:
        connection.exec_driver_sql('CREATE TABLE t (n INTEGER UNIQUE)')
    yield database
    database.dispose()


def _driver_connection(connection):
    return connection.connection.driver_connection


def test_transactions_one_after_the_other_share_a_connection(database):
    with database.writer() as connection:
        first = _driver_connection(connection)
    with database.writer() as connection:
        second = _driver_connection(connection)
    assert second is first


def test_a_kept_connection_still_runs_each_batch_in_a_transaction(
        database):
    # A transaction that fails after its first insert leaves nothing: the
    # connection kept from before still gets its BEGIN.
    with database.writer() as connection:
        connection.exec_driver_sql('INSERT INTO t VALUES (1)')
    with pytest.raises(db_exc.DBDuplicateEntry):
        with database.writer() as connection:
            connection.exec_driver_sql('INSERT INTO t VALUES (2)')
            connection.exec_driver_sql('INSERT INTO t VALUES (1)')
    with database.writer() as connection:
        assert _driver_connection(connection).in_transaction
        stored = connection.exec_driver_sql(
            'SELECT n FROM t ORDER BY n').scalars().all()
    assert stored == [1]


def test_the_kept_connection_sees_what_another_connection_wrote(
        database, tmp_path):
    with database.writer() as connection:
        connection.exec_driver_sql('INSERT INTO t VALUES (1)')
    other = db_api.Database(base.make_conf(
        'sqlite:///%s' % (tmp_path / 'w.sqlite')))
    try:
        with other.writer() as connection:
            connection.exec_driver_sql('INSERT INTO t VALUES (2)')
    finally:
        other.dispose()
    with database.writer() as connection:
        stored = connection.exec_driver_sql(
            'SELECT n FROM t ORDER BY n').scalars().all()
    assert stored == [1, 2]
