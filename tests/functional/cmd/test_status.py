"""``stacktach-ng-status upgrade check`` against real databases and a real
RabbitMQ."""

import datetime
import json
import socket
import uuid

import kombu
import pytest

from stacktach_ng.cmd import status
from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.db import partitions
from tests import base
from tests.functional import services

SUCCESS, WARNING, FAILURE = 0, 1, 2

_HEARTBEATS = models.ListenerHeartbeat.__table__


def _closed_port():
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _run(tmp_path, capsys, database_url, transport_url, interval=10,
         topic=None):
    # A topic of its own: the queues other tests left on the broker are
    # not this deployment's.
    topic = topic or 'stng-status-' + uuid.uuid4().hex[:8]
    config = tmp_path / 'stacktach-ng.conf'
    config.write_text(
        '[DEFAULT]\ntransport_url = %s\n'
        '[database]\nconnection = %s\n'
        '[listener]\nheartbeat_interval = %d\ntopics = %s\n'
        % (transport_url, database_url, interval, topic))
    code = status.main(['stacktach-ng-status', '--config-file', str(config),
                        'upgrade', 'check', '--json'])
    output = json.loads(capsys.readouterr().out)
    return code, {check['check']: check for check in output['checks']}


def _beat(conf, worker, seconds_ago):
    now = timestamps.utcnow()
    database = db_api.Database(conf)
    with database.writer() as connection:
        connection.execute(_HEARTBEATS.insert().values(
            worker=worker, host=worker.split(':')[0],
            started_at=now - datetime.timedelta(hours=1),
            last_seen=now - datetime.timedelta(seconds=seconds_ago),
            stored=10, duplicates=0, rejected=0, requeued=0, batches=1))
    database.dispose()


def test_unmigrated_database_fails(database_url, rabbit_url, tmp_path,
                                   capsys):
    code, checks = _run(tmp_path, capsys, database_url, rabbit_url)
    schema = checks['Database schema']
    assert schema['result'] == FAILURE
    assert 'stacktach-ng-manage db upgrade' in schema['details']
    assert checks['Listener heartbeat']['result'] == WARNING
    assert checks['Notification transport']['result'] == SUCCESS
    assert code == FAILURE


def test_ready_deployment_succeeds(migrated_conf, rabbit_url, tmp_path,
                                   capsys):
    _beat(migrated_conf, 'listener-host:4242', seconds_ago=2)
    _beat(migrated_conf, 'old-host:17', seconds_ago=86400)
    code, checks = _run(tmp_path, capsys, migrated_conf.database.connection,
                        rabbit_url)
    assert checks['Database schema']['result'] == SUCCESS
    assert checks['Database partitions']['result'] == SUCCESS
    assert checks['Database character set']['result'] == SUCCESS
    heartbeat = checks['Listener heartbeat']
    assert heartbeat['result'] == SUCCESS
    assert 'listener-host:4242' in heartbeat['details']
    # A worker that stopped long ago is not reported as alive.
    assert 'old-host:17' not in heartbeat['details']
    assert checks['Notification transport']['result'] == SUCCESS
    assert code == SUCCESS, [check for check in checks.values()
                             if check['result'] != SUCCESS]


def test_no_heartbeat_warns(migrated_conf, rabbit_url, tmp_path, capsys):
    code, checks = _run(tmp_path, capsys, migrated_conf.database.connection,
                        rabbit_url)
    heartbeat = checks['Listener heartbeat']
    assert heartbeat['result'] == WARNING
    assert 'stacktach-ng-listener' in heartbeat['details']
    assert code == WARNING


def test_stale_heartbeat_warns_with_worker_names(migrated_conf, rabbit_url,
                                                 tmp_path, capsys):
    # 3 x 5 s = 15 s: a heartbeat 20 s old is stale, one 10 s old is not.
    _beat(migrated_conf, 'compute-ctl:101', seconds_ago=20)
    _beat(migrated_conf, 'compute-ctl:102', seconds_ago=40)
    code, checks = _run(tmp_path, capsys, migrated_conf.database.connection,
                        rabbit_url, interval=5)
    heartbeat = checks['Listener heartbeat']
    assert heartbeat['result'] == WARNING
    assert 'compute-ctl:101' in heartbeat['details']
    assert 'compute-ctl:102' in heartbeat['details']
    assert code == WARNING

    _beat(migrated_conf, 'compute-ctl:103', seconds_ago=10)
    code, checks = _run(tmp_path, capsys, migrated_conf.database.connection,
                        rabbit_url, interval=5)
    assert checks['Listener heartbeat']['result'] == SUCCESS
    assert code == SUCCESS


@pytest.mark.parametrize('database_url', ['sqlite'], indirect=True)
def test_unreachable_transport_fails_without_password(migrated_conf,
                                                      tmp_path, capsys):
    _beat(migrated_conf, 'listener-host:1', seconds_ago=0)
    url = 'rabbit://stacktach:s3cret@127.0.0.1:%d/' % _closed_port()
    code, checks = _run(tmp_path, capsys, migrated_conf.database.connection,
                        url)
    transport = checks['Notification transport']
    assert transport['result'] == FAILURE
    assert 'stacktach:***@127.0.0.1' in transport['details']
    assert 's3cret' not in transport['details']
    assert code == FAILURE


def test_unreachable_database_fails(tmp_path, capsys, rabbit_url):
    url = 'mysql+pymysql://root:s3cret@127.0.0.1:%d/stacktach' % (
        _closed_port())
    code, checks = _run(tmp_path, capsys, url, rabbit_url)
    schema = checks['Database schema']
    assert schema['result'] == FAILURE
    assert 'cannot read the database schema version' in (
        schema['details'].lower())
    assert 's3cret' not in schema['details']
    assert code == FAILURE


@pytest.fixture
def postgresql_conf(tmp_path):
    database = services.TestDatabase('postgresql', tmp_path)
    conf = base.make_conf(database.create())
    db = db_api.Database(conf)
    migration.upgrade(db)
    db.dispose()
    yield conf
    database.drop()


def test_missing_partitions_warn(postgresql_conf, rabbit_url, tmp_path,
                                 capsys):
    """The upgrade created today's partition and 7 days ahead; a day
    ahead that is gone is named."""
    url = postgresql_conf.database.connection
    _, checks = _run(tmp_path, capsys, url, rabbit_url)
    assert checks['Database partitions']['result'] == SUCCESS
    in_three_days = timestamps.utcnow() + datetime.timedelta(days=3)
    database = db_api.Database(postgresql_conf)
    with database.writer() as connection:
        names = [p.name for p in partitions.partitions(connection,
                                                       'notifications')]
        assert len(names) == 9, names  # 8 days and the default one
        connection.exec_driver_sql('DROP TABLE %s' % partitions.day_name(
            'notifications', in_three_days))
    database.dispose()
    _, checks = _run(tmp_path, capsys, url, rabbit_url)
    result = checks['Database partitions']
    assert result['result'] == WARNING
    assert 'notifications: %s.' % in_three_days.strftime('%Y-%m-%d') \
        in result['details']


def test_three_byte_utf8_warns(rabbit_url, tmp_path, capsys):
    """A MySQL database created with the 3-byte utf8, reached without
    charset=utf8mb4: all three are named."""
    database = services.TestDatabase('mysql', tmp_path)
    url = database.create().replace('?charset=utf8mb4', '?charset=utf8')
    try:
        conf = base.make_conf(url)
        db = db_api.Database(conf)
        with db.writer() as connection:
            connection.exec_driver_sql(
                'ALTER DATABASE %s CHARACTER SET utf8mb3' % database.name)
            connection.exec_driver_sql(
                'CREATE TABLE legacy (name VARCHAR(10)) CHARACTER SET '
                'utf8mb3')
        db.dispose()
        _, checks = _run(tmp_path, capsys, url, rabbit_url)
    finally:
        database.drop()
    result = checks['Database character set']
    assert result['result'] == WARNING
    assert 'the connection uses utf8' in result['details']
    assert 'the database defaults to utf8' in result['details']
    assert 'columns of legacy use it' in result['details']


@pytest.mark.parametrize('database_url', ['sqlite'], indirect=True)
def test_transient_listener_queues_warn(migrated_conf, rabbit_url, tmp_path,
                                        capsys):
    """Queues of the listener's topic: a classic transient one is named,
    a durable one and a quorum one are not, and none is changed."""
    topic = 'stng-status-' + uuid.uuid4().hex[:8]
    url = migrated_conf.database.connection
    _, checks = _run(tmp_path, capsys, url, rabbit_url, topic=topic)
    assert checks['Listener queues']['result'] == SUCCESS
    assert 'No listener queue' in checks['Listener queues']['details']
    declared = {
        topic + '.info': {'durable': False},
        topic + '.error': {'durable': True},
        topic + '.warn': {'durable': True,
                          'queue_arguments': {'x-queue-type': 'quorum'}},
    }
    with kombu.Connection(rabbit_url.replace('rabbit://', 'amqp://')) as bus:
        channel = bus.channel()
        queues = [kombu.Queue(name, channel=channel, auto_delete=False,
                              **flags) for name, flags in declared.items()]
        try:
            for queue in queues:
                queue.declare()
            code, checks = _run(tmp_path, capsys, url, rabbit_url,
                                topic=topic)
            # The transient queue is still there, as it was.
            assert queues[0].queue_declare(passive=True)
        finally:
            for queue in queues:
                queue.delete()
    result = checks['Listener queues']
    assert result['result'] == WARNING
    assert 'classic and not durable: %s.info.' % topic in result['details']
    assert topic + '.error' not in result['details']
    assert topic + '.warn' not in result['details']
