"""A listener worker's row in ``listener_heartbeats``.

Each worker process (``host:pid``) writes its counters and ``last_seen``
every ``[listener] heartbeat_interval`` seconds; ``/metrics`` and
``stacktach-ng-status`` read them. The counters are cumulative since the
worker started, so summing the rows of all workers, live and gone, gives
totals that only grow.
"""

import os
import threading

from oslo_log import log as logging

from stacktach_ng.common import timestamps
from stacktach_ng.db import models

LOG = logging.getLogger(__name__)

_TABLE = models.ListenerHeartbeat.__table__

COUNTERS = ('stored', 'duplicates', 'rejected', 'requeued', 'batches',
            'conflicts', 'undated')


class Stats:
    """Thread-safe counters of one worker."""

    def __init__(self):
        self._lock = threading.Lock()
        self._values = dict.fromkeys(COUNTERS, 0)

    def add(self, **counts):
        with self._lock:
            for name, value in counts.items():
                self._values[name] += value

    def record(self, result):
        """Count a committed batch (a pipeline ``BatchResult``)."""
        self.add(stored=result.stored, duplicates=result.duplicates,
                 rejected=result.rejected, conflicts=result.conflicts,
                 undated=result.undated, batches=1)

    def snapshot(self):
        with self._lock:
            return dict(self._values)

    def __getattr__(self, name):
        if name in COUNTERS:
            return self.snapshot()[name]
        raise AttributeError(name)


def worker_name(host, pid=None):
    return ('%s:%d' % (host, pid or os.getpid()))[:255]


class Heartbeat:
    """A thread that writes the worker's row until ``stop()``."""

    def __init__(self, database, stats, interval, host, worker=None):
        # On SQLite, Database.writer() makes the heartbeat take its turn
        # with the batches of the process.
        self.database = database
        self.stats = stats
        self.interval = interval
        self.host = host[:255]
        self.worker = worker or worker_name(host)
        self.started_at = timestamps.utcnow()
        self._stop = threading.Event()
        self._thread = None
        self._failing = False

    def start(self):
        self._thread = threading.Thread(
            target=self._run, name='stacktach-ng-heartbeat', daemon=True)
        self._thread.start()

    def stop(self):
        """Stop the thread and write the final counters."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.beat()

    def _run(self):
        while True:
            self.beat()
            if self._stop.wait(self.interval):
                return

    def beat(self):
        """Write the row now; returns whether it was written.

        A failure (the database is down) is logged once per outage and
        never stops the worker: ingestion has its own retry logic.
        """
        values = self.stats.snapshot()
        values['last_seen'] = timestamps.utcnow()
        try:
            with self.database.writer() as connection:
                updated = connection.execute(
                    _TABLE.update().where(_TABLE.c.worker == self.worker)
                    .values(**values)).rowcount
                if not updated:
                    connection.execute(_TABLE.insert().values(
                        worker=self.worker, host=self.host,
                        started_at=self.started_at, **values))
        except Exception as error:
            if not self._failing:
                LOG.warning('Heartbeat of %s not written: %s: %s',
                            self.worker, type(error).__name__,
                            (str(error).splitlines() or [''])[0][:300])
            self._failing = True
            return False
        if self._failing:
            LOG.info('Heartbeat of %s written again', self.worker)
        self._failing = False
        return True
