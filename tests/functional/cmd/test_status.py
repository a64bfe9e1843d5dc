"""``stacktach-ng-status upgrade check`` against real databases and a real
RabbitMQ."""

import datetime
import json
import socket

import pytest

from stacktach_ng.cmd import status
from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.db import models

SUCCESS, WARNING, FAILURE = 0, 1, 2

_HEARTBEATS = models.ListenerHeartbeat.__table__


def _closed_port():
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _run(tmp_path, capsys, database_url, transport_url, interval=10):
    config = tmp_path / 'stacktach-ng.conf'
    config.write_text(
        '[DEFAULT]\ntransport_url = %s\n'
        '[database]\nconnection = %s\n'
        '[listener]\nheartbeat_interval = %d\n'
        % (transport_url, database_url, interval))
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
    heartbeat = checks['Listener heartbeat']
    assert heartbeat['result'] == SUCCESS
    assert 'listener-host:4242' in heartbeat['details']
    # A worker that stopped long ago is not reported as alive.
    assert 'old-host:17' not in heartbeat['details']
    assert checks['Notification transport']['result'] == SUCCESS
    assert code == SUCCESS


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


def test_character_set(migrated_conf, rabbit_url, tmp_path, capsys):
    """MySQL/MariaDB talking or defaulting to 3-byte utf8 (devstack's
    ``charset=utf8`` and ``CHARACTER SET utf8``) is a warning."""
    url = migrated_conf.database.connection
    code, checks = _run(tmp_path, capsys, url, rabbit_url)
    assert checks['Database character set']['result'] == SUCCESS
    if not url.startswith('mysql'):
        return
    three_bytes = url.replace('charset=utf8mb4', 'charset=utf8')
    assert three_bytes != url
    code, checks = _run(tmp_path, capsys, three_bytes, rabbit_url)
    charset = checks['Database character set']
    assert charset['result'] == WARNING
    assert '3-byte' in charset['details']
    assert 'the connection uses utf8' in charset['details']
    assert code == WARNING
