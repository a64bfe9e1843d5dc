"""Two verifiers on two hosts share one database, and one of them is
killed with -9 in the middle: every exists record is verified exactly
once.

Each verifier is ``stacktach-ng-verifier`` as an operator runs it, in a
network namespace of its own (``network``), reaching the machine's
PostgreSQL or MariaDB through a forwarder on the test network. On these
servers a verifier claims a batch with row locks held by its open
transaction: a verifier killed mid-batch leaves no claim behind, and its
batch goes to the other one, still verified once (``attempts`` counts
the claims that committed).
"""

import datetime
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.usage import store
from tests import base
from tests.functional.cluster import conftest as cluster
from tests.functional.usage import base as usage

COUNT = 20000
EXISTS = store.EXISTS


class VerifierProcess:
    """``stacktach-ng-verifier`` on a test host."""

    def __init__(self, host, config_path, log_path):
        script = os.path.join(os.path.dirname(sys.executable),
                              'stacktach-ng-verifier')
        command = ([script] if os.path.exists(script) else
                   [sys.executable, '-m', 'stacktach_ng.cmd.verifier'])
        self.log_path = log_path
        self._log = open(log_path, 'ab')  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            host.command(command + ['--config-file', config_path]),
            stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)

    def log(self):
        with open(self.log_path, errors='replace') as log:
            return log.read()

    def close(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()


def _write_config(path, host, database_url):
    with open(path, 'w') as config:
        config.write('\n'.join([
            '[DEFAULT]', 'host = %s' % host.name,
            'graceful_shutdown_timeout = 30', '',
            '[database]', 'connection = %s' % database_url, '',
            # Small batches: many claims, so that the kill lands in the
            # middle of one; the shortest claim timeout, which must not
            # matter here (claims are row locks on these servers).
            '[verifier]', 'settle_delay = 0', 'interval = 1',
            'batch_size = 50', 'claim_timeout = 10', '']))
    return str(path)


def _counts(database):
    with database.reader() as connection:
        return {(row.status, row.attempts): row.count
                for row in connection.execute(sa.select(
                    EXISTS.c.status, EXISTS.c.attempts,
                    sa.func.count().label('count')).group_by(
                        EXISTS.c.status, EXISTS.c.attempts))}


def _verified(database):
    with database.reader() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(
            EXISTS).where(EXISTS.c.verified_at.isnot(None))).scalar()


def _wait(condition, timeout, what, processes):
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            assert process.process.poll() is None, \
                'a verifier died:\n' + process.log()
        if time.monotonic() > deadline:
            pytest.fail('%s: not within %d s' % (what, timeout))
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize('backend', ['postgresql', 'mysql'])
def test_two_verifier_hosts_verify_each_exists_once(backend, tmp_path):
    with cluster.made_network(['verifier-a', 'verifier-b']) as net, \
            cluster.shared_database(backend, net, tmp_path) as shared:
        database = db_api.Database(base.make_conf(shared.url))
        verifiers = {}
        try:
            usage.seed_exists(database, COUNT, timestamps.utcnow()
                              - datetime.timedelta(minutes=1))

            def start(name):
                host = net.hosts[name]
                verifiers[name] = VerifierProcess(
                    host, _write_config(tmp_path / ('%s.conf' % name), host,
                                        shared.host_url),
                    str(tmp_path / ('%s-%d.log' % (name, len(verifiers)))))

            for name in net.hosts:
                start(name)
            running = list(verifiers.values())
            _wait(lambda: _verified(database) >= COUNT // 5, 300,
                  'a fifth verified', running)
            # kill -9 of every process on host A, in the middle of the
            # work; B carries on.
            lost = net.hosts['verifier-a']
            lost.kill_all()
            verifiers['verifier-a'].process.wait(30)
            at_kill = _verified(database)
            assert at_kill < COUNT, 'the kill was not mid-work'
            survivor = [verifiers['verifier-b']]
            _wait(lambda: _verified(database) > at_kill, 120,
                  'verifying after the kill', survivor)
            # Host A comes back, and takes its share of what is left.
            start('verifier-a')
            running = [verifiers['verifier-b'], verifiers['verifier-a']]
            _wait(lambda: _verified(database) >= COUNT, 600,
                  'every exists verified', running)
            for process in running:
                assert process.process.poll() is None, process.log()
        finally:
            for process in verifiers.values():
                process.close()
        try:
            # Every record verified, each by exactly one committed claim.
            assert _counts(database) == {('verified', 1): COUNT}
            with database.reader() as connection:
                claimed = connection.execute(sa.select(
                    sa.func.count()).select_from(EXISTS).where(
                        EXISTS.c.claimed_by.isnot(None))).scalar()
            assert claimed == 0
        finally:
            database.dispose()
