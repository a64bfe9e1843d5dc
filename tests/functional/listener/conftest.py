"""Fixtures of the listener tests: a unique exchange and topic on the real
RabbitMQ, a migrated database, and ways to run the listener."""

import contextlib
import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings

import pytest
import sqlalchemy as sa

from stacktach_ng.analyses import rollups
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.listener import service as listener
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner
from stacktach_ng.queries import usage
from tests import base
from tests.functional import services
from tests.functional.analyses import fixtures
from tests.functional.listener import traffic

NOTIFICATIONS = models.Notification.__table__
REJECTED = models.RejectedMessage.__table__
HEARTBEATS = models.ListenerHeartbeat.__table__


class Bus:
    """The exchange and topic of one test, and its database."""

    def __init__(self, rabbit_url, database_url, tmp_path):
        suffix = uuid.uuid4().hex[:10]
        self.rabbit_url = rabbit_url
        self.database_url = database_url
        self.exchange = 'stng-test-%s' % suffix
        self.topic = 'stng-test-%s' % suffix
        self.tmp_path = tmp_path
        self._engine = None
        self._publisher = None

    @property
    def queues(self):
        return ['%s.%s' % (self.topic, priority)
                for priority in traffic.PRIORITIES]

    @property
    def publisher(self):
        if self._publisher is None:
            self._publisher = traffic.Publisher(self.rabbit_url,
                                                self.exchange, self.topic)
        return self._publisher

    def new_publisher(self):
        return traffic.Publisher(self.rabbit_url, self.exchange, self.topic)

    def listener_options(self, **overrides):
        # Every default handler, as deployed: a redelivery that the
        # notifications table shrugs off could still count an operation,
        # a launch or an error twice in the tables derived from it.
        options = {
            'exchanges': self.exchange, 'topics': self.topic,
            'batch_size': 50, 'batch_timeout': 1, 'heartbeat_interval': 1,
            'retry_backoff_max': 2.0,
        }
        options.update(overrides)
        return options

    def write_config(self, database_url=None, **listener_overrides):
        """A config file as an operator writes it; returns its path."""
        lines = ['[DEFAULT]', 'transport_url = %s' % self.rabbit_url,
                 'graceful_shutdown_timeout = 30', '',
                 '[database]',
                 'connection = %s' % (database_url or self.database_url), '',
                 '[listener]']
        for name, value in self.listener_options(
                **listener_overrides).items():
            lines.append('%s = %s' % (name, value))
        path = os.path.join(str(self.tmp_path),
                            'listener-%s.conf' % uuid.uuid4().hex[:6])
        with open(path, 'w') as config:
            config.write('\n'.join(lines) + '\n')
        return path

    def conf(self, database_url=None, **listener_overrides):
        return base.make_conf(args=['--config-file', self.write_config(
            database_url, **listener_overrides)])

    # -- the database as the tests see it ------------------------------

    @property
    def engine(self):
        if self._engine is None:
            self._engine = sa.create_engine(self.database_url,
                                            poolclass=sa.pool.NullPool)
        return self._engine

    def stored_ids(self):
        with self.engine.connect() as connection:
            return list(connection.execute(
                sa.select(NOTIFICATIONS.c.message_id)).scalars())

    def stored_count(self):
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(
                    NOTIFICATIONS)).scalar()

    def rejected(self):
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(
                sa.select(REJECTED).order_by(REJECTED.c.id))]

    def heartbeats(self):
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(
                sa.select(HEARTBEATS))]

    def assert_stored_exactly(self, items):
        """Every one of ``items`` is stored, and stored once."""
        ids = self.stored_ids()
        assert len(ids) == len(set(ids)), 'a notification was stored twice'
        missing = traffic.ids_of(items) - set(ids)
        assert not missing, '%d notifications lost' % len(missing)
        assert len(ids) == len(items)

    def derived(self):
        """Every row the handlers derived (operations, requests, errors,
        launches, exists...), with the hours they marked rolled up as the
        listener's roller does, and the usage report over the traffic."""
        database = db_api.Database(base.make_conf(self.database_url))
        try:
            rollups.roll(database)
        finally:
            database.dispose()
        with self.engine.connect() as connection:
            return derived_of(connection)

    def assert_derived_once(self, items, want=None):
        """The derived tables hold what one fault-free pass of ``items``
        through every default handler makes: nothing counted twice,
        nothing missed, whatever was redelivered or retried. Returns the
        fault-free rows (``want``, computed when not given)."""
        got = self.derived()
        if want is None:
            want = fault_free(self.database_url, self.tmp_path, items)
        assert got['operations'], 'the traffic made no operation'
        for name in sorted(want):
            assert got[name] == want[name], (
                '%s differs from a fault-free run: %d rows, %d expected'
                % (name, len(got[name]), len(want[name])))
        return want

    def wait_stored(self, count, timeout=60, also=None):
        """Wait until ``count`` notifications are stored; return the count
        seen last."""
        deadline = time.monotonic() + timeout
        seen = self.stored_count()
        while seen < count and time.monotonic() < deadline:
            if also is not None:
                also()
            time.sleep(0.1)
            seen = self.stored_count()
        return seen

    def wait_queues_empty(self, timeout=60):
        """Wait until no notification is ready in the test's queues;
        return the depth seen last."""
        deadline = time.monotonic() + timeout
        depth = traffic.queue_depth(self.rabbit_url, self.queues)
        while depth and time.monotonic() < deadline:
            time.sleep(0.1)
            depth = traffic.queue_depth(self.rabbit_url, self.queues)
        return depth

    def close(self):
        if self._publisher is not None:
            self._publisher.close()
        if self._engine is not None:
            self._engine.dispose()
        traffic.delete_queues(self.rabbit_url, self.exchange, self.queues)


# The usage report over the simulated traffic's days (see
# traffic.simulated).
_REPORT_PERIOD = (datetime.datetime(2025, 12, 1),
                  datetime.datetime(2026, 3, 1))


def derived_of(connection):
    out = fixtures.snapshot_of(connection, fixtures.ANALYSIS_TABLES
                               + fixtures.USAGE_TABLES)
    out['usage_report'] = usage.usage_report(connection, *_REPORT_PERIOD)
    return out


def fault_free(database_url, tmp_path, items, batch_size=50):
    """The derived rows of ``items`` stored once each, in order, by the
    pipeline in this process, on a fresh database of the same backend."""
    backend = database_url.split(':', 1)[0].split('+', 1)[0]
    reference = services.TestDatabase(backend, tmp_path)
    conf = base.make_conf(reference.create())
    database = db_api.Database(conf)
    try:
        migration.upgrade(database)
        pipeline = runner.Pipeline(conf, database)
        envelopes = [forms.to_envelope(traffic.listener_form(*item))
                     for item in items]
        for start in range(0, len(envelopes), batch_size):
            pipeline.process(envelopes[start:start + batch_size])
        rollups.roll(database)
        with database.reader() as connection:
            return derived_of(connection)
    finally:
        database.dispose()
        reference.drop()


@pytest.fixture
def bus(rabbit_url, migrated_conf, tmp_path):
    bus = Bus(rabbit_url, migrated_conf.database.connection, tmp_path)
    yield bus
    bus.close()


@contextlib.contextmanager
def running_listener(conf):
    """A ``ListenerService`` started in this process; stopped on exit."""
    service = listener.ListenerService(conf)
    service.start()
    try:
        yield service
    finally:
        service.stop()
        service.wait()


class ListenerProcess:
    """``stacktach-ng-listener`` as an operator runs it; on a test host
    (``tests.functional.cluster.network.Host``) when ``host`` is given."""

    def __init__(self, config_path, log_path, host=None):
        self.log_path = log_path
        self._log = open(log_path, 'ab')  # noqa: SIM115 - closed in wait()
        script = os.path.join(os.path.dirname(sys.executable),
                              'stacktach-ng-listener')
        command = ([script] if os.path.exists(script) else
                   [sys.executable, '-m', 'stacktach_ng.cmd.listener'])
        command += ['--config-file', config_path]
        if host is not None:
            command = host.command(command)
        # A process group of its own, so that kill -9 reaches the workers
        # too. (eventlet, imported here by a dependency, warns about any
        # fork; the child execs at once.)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            self.process = subprocess.Popen(
                command, stdout=self._log, stderr=subprocess.STDOUT,
                preexec_fn=os.setpgrp)

    def signal(self, signum):
        os.kill(self.process.pid, signum)

    def kill_all(self):
        """kill -9 of the parent and its workers at once: a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def wait(self, timeout):
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is not None:
                self._log.close()

    def log(self):
        with open(self.log_path, errors='replace') as log:
            return log.read()

    def ensure_gone(self):
        if self.process.poll() is None:
            self.kill_all()
            self.process.wait(10)
        self._log.close()


@pytest.fixture
def listener_processes(tmp_path):
    """Start listener subprocesses; all are killed at the end."""
    started = []

    def start(config_path):
        process = ListenerProcess(
            config_path, os.path.join(str(tmp_path),
                                      'listener-%d.log' % len(started)))
        started.append(process)
        return process

    yield start
    for process in started:
        process.ensure_gone()
