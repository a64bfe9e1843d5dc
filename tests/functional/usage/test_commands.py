"""``stacktach-ng-manage usage report`` and ``verify`` as an operator runs
them: the real executable, a config file, each database."""

import csv
import datetime
import io
import json
import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.usage import store
from tests.functional.usage import base
from tests.functional.usage.test_verify import P1
from tests.functional.usage.test_verify import _boot
from tests.perf import verify as bench_verify
from tests.unit.usage import messages as m

MANAGE = [sys.executable, '-c',
          'import sys; from stacktach_ng.cmd.manage import main; '
          'sys.exit(main())']


def _config(tmp_path, conf, **verifier):
    path = tmp_path / 'stacktach-ng.conf'
    lines = ['[database]', 'connection = %s' % conf.database.connection,
             '[verifier]'] + ['%s = %s' % item for item in verifier.items()]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def _manage(config, *args):
    return subprocess.run(MANAGE + ['--config-file', config] + list(args),
                          capture_output=True, text=True, check=True,
                          timeout=300).stdout


def test_report_in_json_and_csv(migrated_conf, tmp_path):
    usage = base.UsageDB(migrated_conf)
    try:
        # m1.small (1 vcpu, 2048 MB, 20 GB root in the fixtures' flavors)
        # from 06:00 on day 1, deleted at 18:00 on day 1: 12 hours.
        usage.load([_boot('i-1', P1, m.day(1, 6)),
                    m.legacy('compute.instance.delete.end', 'i-1', P1,
                             m.day(1, 18), launched_at=m.day(1, 6),
                             deleted_at=m.day(1, 18))])
    finally:
        usage.close()
    config = _config(tmp_path, migrated_conf)
    period = ['--start', m.day(1).isoformat(), '--end',
              m.day(2).isoformat()]
    data = json.loads(_manage(config, 'usage', 'report', *period))
    project, = data['projects']
    assert project['project_id'] == P1
    assert (project['instance_hours'], project['vcpu_hours'],
            project['memory_mb_hours'], project['disk_gb_hours']) == (
        12, 12, 12 * 2048, 12 * 20)
    output = tmp_path / 'usage.csv'
    _manage(config, 'usage', 'report', *period, '--format', 'csv',
            '--output', str(output))
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert [row['scope'] for row in rows] == ['project', 'flavor']
    for row in rows:
        assert float(row['instance_hours']) == 12
        assert float(row['vcpu_hours']) == project['vcpu_hours']
        assert float(row['memory_mb_hours']) == project['memory_mb_hours']


def test_verify_killed_mid_pass_leaves_nothing_claimed(migrated_conf,
                                                       tmp_path):
    count = 20000
    database = db_api.Database(migrated_conf)
    try:
        mismatches = bench_verify.seed(
            database, count, timestamps.utcnow().replace(year=2026,
                                                         month=1))
    finally:
        database.dispose()
    # The shortest claim timeout: on SQLite a killed verifier's claims
    # are committed stamps that expire; on MySQL and PostgreSQL they are
    # row locks that die with its connection.
    config = _config(tmp_path, migrated_conf, claim_timeout=10,
                     batch_size=200)
    verifier = subprocess.Popen(MANAGE + ['--config-file', config,
                                          'verify'],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                start_new_session=True)
    _wait_for_some_decided(migrated_conf.database.connection, verifier)
    os.killpg(verifier.pid, signal.SIGKILL)
    verifier.wait()
    undecided = _statuses(migrated_conf.database.connection).get(
        'pending', 0)
    assert 0 < undecided < count, 'the kill came too late to test much'
    if migrated_conf.database.connection.startswith('sqlite'):
        _wait_for_claims_to_expire(migrated_conf.database.connection)
    _manage(config, 'verify')
    statuses = _statuses(migrated_conf.database.connection)
    assert statuses == {'verified': count - mismatches,
                        'failed': mismatches}


def _statuses(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(
                sa.select(store.EXISTS.c.status, sa.func.count())
                .group_by(store.EXISTS.c.status)).all())
    finally:
        engine.dispose()


def _wait_for_claims_to_expire(url, timeout=60):
    """Until the database's clock is past every claim's stamp."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                last = connection.execute(sa.select(
                    sa.func.max(store.EXISTS.c.claimed_until))).scalar()
            if last is None or timestamps.utcnow() > _naive(last):
                return
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError('claims still stand after %d s' % timeout)


def _naive(value):
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value.replace(tzinfo=None)


def _wait_for_some_decided(url, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if _statuses(url).get('verified', 0) >= 1000:
            return
        time.sleep(0.05)
    raise AssertionError('the verifier decided nothing in %d s (exit %s)'
                         % (timeout, process.poll()))
