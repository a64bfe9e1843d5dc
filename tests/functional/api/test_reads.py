"""The API's reads (``Database.read``) on MySQL and PostgreSQL: no ping per
request, and a connection the server closed is replaced without a failed
request."""

import pytest
import sqlalchemy as sa
from oslo_db.sqlalchemy import engines

from stacktach_ng.api import app as api_app
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base
from tests.functional import services
from tests.functional.api import client as api_client
from tests.functional.api import data as api_data

SERVER_BACKENDS = [backend for backend in services.BACKENDS
                   if backend != 'sqlite']

_OWN_ID = {'postgresql': 'SELECT pg_backend_pid()',
           'mysql': 'SELECT CONNECTION_ID()'}
_KILL = {'postgresql': 'SELECT pg_terminate_backend(%d)',
         'mysql': 'KILL %d'}


@pytest.fixture(params=SERVER_BACKENDS)
def server_conf(request, tmp_path, override):
    test_database = services.TestDatabase(request.param, tmp_path)
    conf = base.make_conf(test_database.create())
    database = db_api.Database(conf)
    migration.upgrade(database)
    database.dispose()
    override(conf, 'auth_strategy', 'noauth', 'api')
    yield conf
    test_database.drop()


def _own_id(database):
    statement = _OWN_ID[database.dialect]
    return database.read(
        lambda connection: connection.exec_driver_sql(statement).scalar())


def _kill(conf, connection_id):
    """End a connection from another one, as a server restart or an
    administrator would."""
    engine = sa.create_engine(conf.database.connection,
                              poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(
                _KILL[engine.dialect.name] % connection_id)
            connection.commit()
    finally:
        engine.dispose()


def test_reads_do_not_ping_or_yield(server_conf):
    database = db_api.Database(server_conf)
    try:
        _own_id(database)
        engine = database._read_facade.writer.get_engine()
        assert engine.pool._pre_ping is False
        assert not sa.event.contains(engine, 'checkin',
                                     engines._thread_yield)
        # The engine of the writers keeps oslo.db's settings.
        assert database.engine.pool._pre_ping is True
    finally:
        database.dispose()


def test_read_after_the_server_closed_the_connection(server_conf):
    database = db_api.Database(server_conf)
    try:
        first = _own_id(database)
        assert _own_id(database) == first  # the pooled connection again
        _kill(server_conf, first)
        second = _own_id(database)
        assert second != first
        assert _own_id(database) == second
    finally:
        database.dispose()


def test_api_requests_after_the_server_closed_the_connections(server_conf):
    database = db_api.Database(server_conf)
    api_data.store(server_conf, database, api_data.standard())
    client = api_client.Client(api_app.setup_app(server_conf, database))
    try:
        for _ in range(3):
            assert client.get('/v1/notifications').status == 200
        pooled = _own_id(database)
        _kill(server_conf, pooled)
        for path in ('/v1/notifications', '/v1/hosts', '/v1/requests',
                     '/v1/summary'):
            response = client.get(path)
            assert response.status == 200, response
        assert _own_id(database) != pooled
    finally:
        database.dispose()
