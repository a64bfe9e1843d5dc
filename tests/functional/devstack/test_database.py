"""stacktach-ng on MySQL as devstack makes it.

devstack's own ``recreate_database`` creates the database on the test
MariaDB (``CHARACTER SET utf8``) and its ``database_connection_url``
gives the URL (``?charset=utf8&plugin=dbcounter``, devstack's SQLAlchemy
plugin built from the pinned devstack's tools/dbcounter). The plugin's
stacktach-ng.conf is then used as it is: the fuzz corpus through the
pipeline, and notifications with four-byte characters and ids differing
only by case through the listener on RabbitMQ.
"""

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from stacktach_ng.conf import listener as listener_opts
from stacktach_ng.db import api as db_api
from stacktach_ng.pipeline import runner
from tests import fuzzing
from tests.functional import services
from tests.functional.devstack import harness
from tests.functional.listener import conftest as listener_fixtures
from tests.functional.listener import traffic
from tests.functional.pipeline import test_fuzz

FUZZ_COUNT = 2000
EMOJI = 'vm \U0001F680 \U0001F4A5 \u00e9t\u00e9'


@pytest.fixture(scope='module')
def devstack(tmp_path_factory):
    devstack = harness.Devstack(tmp_path_factory.mktemp('devstack-db'),
                                services='mysql,rabbit', database=True)
    try:
        devstack.run('stack:install', 'stack:post-config', 'stack:extra')
        yield devstack
    finally:
        devstack.close()


@pytest.fixture
def url(devstack, monkeypatch):
    """The connection URL of the plugin's stacktach-ng.conf, usable here:
    dbcounter importable as on the devstack node."""
    monkeypatch.syspath_prepend(devstack.env['PYTHONPATH'])
    # (and in the listener's store processes)
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(
        filter(None, (devstack.env['PYTHONPATH'],
                      os.environ.get('PYTHONPATH')))))
    connection = devstack.config(
        'stacktach-ng/stacktach-ng.conf')['database']['connection'][0]
    assert connection.endswith('?charset=utf8mb4&plugin=dbcounter')
    return connection


def _devstack_url(url):
    return url.replace('charset=utf8mb4', 'charset=utf8')


def test_devstack_made_the_database(devstack, url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection_charset = connection.execute(sa.text(
                'SELECT @@character_set_connection')).scalar()
            database_charset = connection.execute(sa.text(
                'SELECT @@character_set_database')).scalar()
            tables = connection.execute(sa.text(
                'SELECT table_name, table_collation FROM '
                'information_schema.tables WHERE table_schema = DATABASE()'
            )).all()
    finally:
        engine.dispose()
    assert connection_charset == 'utf8mb4'
    assert database_charset == 'utf8mb4'
    assert tables and all(collation.startswith('utf8mb4_')
                          for _name, collation in tables)


def test_fuzz_corpus_through_the_pipeline(url):
    cases = fuzzing.Fuzzer(seed=test_fuzz.SEED).cases(FUZZ_COUNT)
    conf = test_fuzz._all_handlers_conf(url)
    database = db_api.Database(conf)
    try:
        checked = test_fuzz.CheckedPipeline(runner.Pipeline(conf, database),
                                            cases)
        total = checked.run([fuzzing.decode(case) for case in cases])
        stored, rejected = test_fuzz._check_stored(url)
    finally:
        database.dispose()
    test_fuzz._fail_on_failures(checked)
    assert total.stored == stored
    assert total.rejected == len(rejected)
    assert total.stored > FUZZ_COUNT // 3


def _through_the_listener(url, tmp_path, message_ids):
    """Notifications with four-byte characters, one per id, through the
    listener on RabbitMQ into the database at ``url``; the (message id,
    payload) rows stored for them."""
    rabbit_url = services.require_rabbit()
    bus = listener_fixtures.Bus(rabbit_url, url, tmp_path)
    items = []
    for number, message_id in enumerate(message_ids):
        payload = {'instance_id': 'server-%s' % message_id,
                   'display_name': EMOJI, 'state': 'active',
                   'tenant_id': 'project-a'}
        items.append(('info', {'request_id': 'req-%s' % message_id},
                      traffic.make_message(
                          'compute.instance.update', payload,
                          message_id=message_id,
                          timestamp='2026-01-02 03:04:0%d.000000' % number)))
    conf = bus.conf(handlers=','.join(listener_opts.DEFAULT_HANDLERS))
    # (The database also holds what the other tests stored.)
    rejected_before = len(bus.rejected())
    stored_before = bus.stored_count()
    try:
        with listener_fixtures.running_listener(conf):
            bus.publisher.send_all(items)
            seen = bus.wait_stored(stored_before + len(items))
        assert len(bus.rejected()) == rejected_before
        assert seen == stored_before + len(items)
        with bus.engine.connect() as connection:
            return connection.execute(sa.text(
                'SELECT message_id, payload FROM notifications '
                'WHERE message_id IN :ids').bindparams(
                    sa.bindparam('ids', expanding=True)),
                {'ids': sorted(message_ids)}).all()
    finally:
        bus.close()


def test_listener_stores_four_byte_characters(url, tmp_path):
    ids = ['emoji-%s-%d' % (uuid.uuid4().hex[:8], n) for n in range(3)]
    rows = _through_the_listener(url, tmp_path, ids)
    assert sorted(row[0] for row in rows) == sorted(ids)
    assert all(EMOJI in row[1] for row in rows)


def test_listener_stores_ids_differing_only_by_case(url, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    ids = ['Case-%s' % suffix, 'case-%s' % suffix, 'CASE-%s' % suffix]
    rows = _through_the_listener(url, tmp_path, ids)
    # Three rows, each its own (the IN matches all three on a
    # case-insensitive collation: compare exactly).
    assert sorted(row[0] for row in rows) == sorted(ids)


def _upgrade_check(devstack, url, tmp_path):
    """``stacktach-ng-status upgrade check`` on the plugin's file, with
    ``url`` and the test RabbitMQ (devstack's host is not contacted)."""
    text = open(devstack.stacktach_conf, encoding='utf-8').read()
    connection = devstack.config(
        'stacktach-ng/stacktach-ng.conf')['database']['connection'][0]
    text = text.replace(connection, url).replace(
        harness.RABBIT, services.require_rabbit())
    path = tmp_path / ('status-%s.conf' % uuid.uuid4().hex[:6])
    path.write_text(text)
    status = os.path.join(os.path.dirname(sys.executable),
                          'stacktach-ng-status')
    return subprocess.run(
        [status, '--config-file', str(path), 'upgrade', 'check'],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=devstack.env['PYTHONPATH']))


def test_upgrade_check_flags_three_byte_utf8(devstack, url, tmp_path):
    ok = _upgrade_check(devstack, url, tmp_path)
    assert ok.returncode in (0, 1), ok.stdout + ok.stderr
    assert '3-byte' not in ok.stdout, ok.stdout
    # devstack's own URL, charset=utf8: flagged.
    flagged = _upgrade_check(devstack, _devstack_url(url), tmp_path)
    assert flagged.returncode == 1, flagged.stdout + flagged.stderr
    assert '3-byte' in flagged.stdout, flagged.stdout
