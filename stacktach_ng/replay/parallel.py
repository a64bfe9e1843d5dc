"""``stacktach-ng-manage import --jobs N``: one import, N processes.

The command's process reads the files and cuts them into parts; it hands
them to N - 1 job processes, and stores a part itself whenever they have
enough queued. Each job parses, normalizes and stores its parts with its
own database engine, as N listener workers store batches side by side.
The handlers are order-independent and idempotent, and two batches
carrying the same new message id meet on its unique key (the pipeline
retries the loser, which then counts it as a duplicate), so the stored
rows and the summary's counts are those of one job. One thing only
depends on the order: when two messages reuse one id with other content
and two jobs store them, the one stored first keeps the id and the other
is the conflict (``pipeline.identity``); one job stores the first in the
file first.

The parts are ``batch_size`` raw lines of a JSON-lines file. Reading and
handing over a line costs about 5 us, against some 200 us to parse,
normalize and store it, so the reading keeps several jobs busy without a
pre-pass over the input (jobs that each read the whole file and keep
every Nth part would save that 2 %, and could not read standard input).
The parts go through a bounded queue, which keeps memory at a few
batches whatever the input's size; a job takes the next part when it is
done with the last one, so a job slowed by a lock does not hold the
others back. The reading process storing parts too means no core waits
idle for it, and that it stores from the start, while the other jobs
start (a second or so). A file that is one JSON document (not JSON
lines) is one part, for one job.

The other jobs are not forks of the command's process, which already
holds a database engine whose connections a fork would share: they are
forked from a fresh server process (the forkserver start method; spawn
where there is none) that imported their modules once. They get a
snapshot of the command's configuration. They ignore SIGINT: on Ctrl-C
the command tells them to stop after their current batch, so that every
batch is stored whole or not at all.
"""

import dataclasses
import importlib.metadata as importlib_metadata
import io
import itertools
import multiprocessing
import multiprocessing.forkserver as multiprocessing_forkserver
import os
import queue
import signal
import threading
import time

from oslo_log import log

from stacktach_ng import service
from stacktach_ng.db import api as db_api
from stacktach_ng.pipeline import rejection
from stacktach_ng.pipeline import runner
from stacktach_ng.replay import importer

# What a job sends back: a part's counts, its end, or the error it
# stopped on.
_DONE = 'done'
_COUNTS = 'counts'
_ERROR = 'error'

_LINES = 'lines'
_DOCUMENT = 'document'

# Seconds between two looks at the jobs while waiting on a queue.
_POLL = 0.2
# How long the jobs may take to finish their current batch once told to
# stop (an error elsewhere, Ctrl-C) before they are killed; a killed
# job's batch rolls back.
STOP_TIMEOUT = 120.0


class JobError(Exception):
    """A job stopped on an error; ``database`` tells a database error
    (the batches before it are stored) from any other."""

    def __init__(self, text, database=False):
        super().__init__(text)
        self.database = database


def parts(stream, batch_size):
    """The parts of a binary stream for the jobs: ``(_LINES, lines)`` of
    at most ``batch_size`` lines when it is JSON lines, else one
    ``(_DOCUMENT, content)``; told as ``importer.read_documents`` tells it,
    from the first non-empty line."""
    first = importer.first_line(stream)
    if not first:
        return
    if isinstance(importer.parse_line(first), rejection.Rejected):
        yield _DOCUMENT, first + stream.read()
        return
    lines = [first]
    lines.extend(itertools.islice(stream, batch_size - 1))
    while lines:
        yield _LINES, lines
        lines = list(itertools.islice(stream, batch_size))


def _describe(error):
    """One line for the operator, as the one-job import words it."""
    text = str(getattr(error, 'orig', None) or error)
    text = (text.strip().split('\n') or [''])[0][:300]
    if isinstance(error, importer.DB_ERRORS):
        return text
    return '%s: %s' % (type(error).__name__, text)


def _store_part(job, task):
    """Store a part with ``job`` (an ``Importer``); return its counts."""
    kind, content = task
    job.result = runner.BatchResult()
    if kind == _LINES:
        job.import_items(importer.envelopes_of_lines(content))
    else:
        job.import_stream(io.BufferedReader(io.BytesIO(content)))
    return job.result


class _TimedLock:
    """A lock that adds up how long its takers waited for it and held
    it (re-entered, it counts the outermost hold)."""

    def __init__(self, lock):
        self._lock = lock
        self._depth = 0
        self._taken = 0.0
        self.waited = 0.0
        self.held = 0.0

    def __enter__(self):
        started = time.monotonic()
        self._lock.acquire()
        if self._depth == 0:
            self._taken = time.monotonic()
            self.waited += self._taken - started
        self._depth += 1
        return self

    def __exit__(self, *exc_info):
        self._depth -= 1
        if self._depth == 0:
            self.held += time.monotonic() - self._taken
        self._lock.release()


def _job_main(number, values, batch_size, tasks, results, stop,
              write_lock):
    """A job: import the parts of ``tasks`` until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    database = None
    try:
        conf = service.build_conf()
        conf([], project=service.PROJECT, default_config_files=[],
             default_config_dirs=[])
        service.restore_conf(conf, values)
        log.setup(conf, service.PROJECT)
        database = db_api.Database(conf)
        lock = _TimedLock(write_lock)
        database.share_write_lock(lock)
        job = importer.Importer(conf, database, batch_size=batch_size)
        stats = JobStats(number)
        parent = multiprocessing.parent_process()
        started = time.monotonic()
        with importer.bulk_gc():
            while not stop.is_set():
                waiting = time.monotonic()
                try:
                    task = tasks.get(timeout=_POLL)
                except queue.Empty:
                    if parent is not None and not parent.is_alive():
                        # The command was killed: no one waits for us.
                        return
                    continue
                finally:
                    stats.part_wait += time.monotonic() - waiting
                if task is None:
                    break
                result = _store_part(job, task)
                stats.parts += 1
                results.put((_COUNTS, number, result))
        stats.seconds = time.monotonic() - started
        stats.lock_wait = lock.waited
        stats.lock_held = lock.held
        times = os.times()
        stats.cpu = times.user + times.system
        results.put((_DONE, number, stats))
    except Exception as error:
        results.put((_ERROR, number, (
            _describe(error), isinstance(error, importer.DB_ERRORS))))
    finally:
        if database is not None:
            database.dispose()


@dataclasses.dataclass
class JobStats:
    """Where a job's time went, for the operator who wonders whether more
    jobs would pay: waiting for a part to be read (the reading is the
    bottleneck) or for the SQLite write lock (the database is). Job 1 is
    the command's own process, which reads the parts: it never waits for
    one, and its CPU time includes the reading."""
    number: int
    parts: int = 0
    seconds: float = 0.0
    part_wait: float = 0.0
    lock_wait: float = 0.0
    # SQLite stores one transaction at a time: the time the jobs held the
    # lock, added up, is the part of the import that no number of jobs
    # shortens.
    lock_held: float = 0.0
    # The job process's CPU time, its start included (the other jobs are
    # no children of the command's process, whose CPU time leaves them
    # out).
    cpu: float = 0.0

    def text(self):
        return ('job %d: %d part(s) in %.1f s (%.1f CPU s), of which %.1f s '
                'waiting for a part to be read and %.1f s for the SQLite '
                'write lock (held %.1f s)'
                % (self.number, self.parts, self.seconds, self.cpu,
                   self.part_wait, self.lock_wait, self.lock_held))


def _context():
    """The forkserver start method where there is one (Linux), with what a
    job imports loaded once in the server: forking the jobs from it then
    spares each of them the second or so of importing it anew, which a
    job started by spawn spends. Spawn elsewhere."""
    if 'forkserver' not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context('spawn')
    context = multiprocessing.get_context('forkserver')
    # __main__ too: multiprocessing imports the command's main module in
    # every child otherwise, and with it every command of the CLI.
    modules = ['__main__', __name__]
    modules.extend(sorted({entry_point.module for entry_point in
                           importlib_metadata.entry_points(
                               group=runner.HANDLER_NAMESPACE)}))
    context.set_forkserver_preload(modules)
    return context


def _start_fork_server(context):
    """Start the fork server with SIGINT ignored, which it keeps: it
    ignores SIGINT once it has imported its modules, but a Ctrl-C before
    (it is in the terminal's process group) would print its traceback
    beside the command's "Interrupted." Signals can only be set in the
    main thread; elsewhere the server starts with the first job."""
    if (context.get_start_method() != 'forkserver'
            or threading.current_thread() is not threading.main_thread()):
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        multiprocessing_forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


class ParallelImport:
    """Import files with ``jobs`` processes: this one, which reads the
    files and stores a part itself whenever the others have enough to do,
    and ``jobs - 1`` others. ``result`` is the sum of their counts;
    ``progress`` is called with it after each part."""

    def __init__(self, conf, database, jobs,
                 batch_size=importer.DEFAULT_BATCH_SIZE, progress=None):
        if jobs < 2:
            raise ValueError('a parallel import needs two jobs or more')
        self.conf = conf
        self.database = database
        self.jobs = jobs
        self.batch_size = batch_size
        self.progress = progress
        self.result = runner.BatchResult()
        self._context = _context()
        # A few parts per job: enough for a job never to wait for the
        # reader, few enough to keep memory at a few batches.
        self._tasks = self._context.Queue(maxsize=2 * jobs)
        self._results = self._context.Queue()
        self._stop = self._context.Event()
        self._write_lock = self._context.RLock()
        self._processes = {}
        self._starter = None
        self._start_error = None
        self._done = set()
        self._own = None
        self._own_lock = None
        self._own_stats = JobStats(1)
        self.stats = []

    def start(self):
        values = service.snapshot_conf(self.conf)
        # The command line's sub-command (the parsed arguments), not an
        # option a job has.
        values[None].pop('command', None)
        _start_fork_server(self._context)
        # Starting a job waits until the fork server has imported what
        # the jobs need (a second or more): this process reads and stores
        # meanwhile.
        self._starter = threading.Thread(
            target=self._start_jobs, args=(values,),
            name='import-job-starter', daemon=True)
        self._starter.start()
        # This process's own job, set up while the others start.
        self._own_lock = _TimedLock(self._write_lock)
        self.database.share_write_lock(self._own_lock)
        self._own = importer.Importer(self.conf, self.database,
                                      batch_size=self.batch_size)

    def _start_jobs(self, values):
        try:
            for number in range(2, self.jobs + 1):
                process = self._context.Process(
                    target=_job_main, name='import-job-%d' % number,
                    args=(number, values, self.batch_size, self._tasks,
                          self._results, self._stop, self._write_lock))
                process.start()
                self._processes[number] = process
        except Exception as error:
            self._start_error = error

    def _started(self):
        """Wait for every job to be started; raise if one could not be."""
        self._starter.join()
        self._check_start()

    def _check_start(self):
        if self._start_error is not None:
            raise JobError('cannot start the jobs: %s'
                           % _describe(self._start_error))

    def import_paths(self, paths):
        """Hand out every file's parts, then wait for the jobs to store
        them all. Raises ``importer.SourceError`` when a file cannot be
        read, ``JobError`` when a job stopped on an error, and the
        database error of a part this process stored."""
        started = time.monotonic()
        with importer.bulk_gc():
            for path in paths:
                self._import_path(path)
        self._started()
        for _number in self._processes:
            self._hand_out(None)
        self._own_stats.seconds = time.monotonic() - started
        self._own_stats.lock_wait = self._own_lock.waited
        self._own_stats.lock_held = self._own_lock.held
        times = os.times()
        self._own_stats.cpu = times.user + times.system
        self.stats.append(self._own_stats)
        while len(self._done) < len(self._processes):
            self._collect(timeout=_POLL)

    def finish(self):
        """After ``import_paths``: what one job does after its last file
        (``importer.finish``), on what every job stored."""
        return importer.finish(self._own.pipeline, self.result)

    def _import_path(self, path):
        stream = importer.open_source(path)
        try:
            for part in parts(stream, self.batch_size):
                self._hand_out(part)
        except importer.READ_ERRORS as e:
            raise importer.SourceError('cannot read %s: %s' % (
                path, getattr(e, 'strerror', None) or e)) from None
        finally:
            if path != importer.STDIN:
                stream.close()

    def _hand_out(self, task):
        """Queue a part for the other jobs, or store it here when they
        have enough queued (the end of the parts, ``None``, waits)."""
        while True:
            try:
                self._tasks.put(task, block=task is None, timeout=_POLL)
                return
            except queue.Full:
                self._collect(timeout=0)
                if task is not None:
                    self._store(task)
                    return

    def _store(self, task):
        self._take(_COUNTS, 1, _store_part(self._own, task))
        self._own_stats.parts += 1

    def _collect(self, timeout):
        """Take in what the jobs sent; raise when one failed or died, or
        could not be started."""
        self._check_start()
        try:
            while True:
                self._take(*self._results.get(timeout=timeout))
                timeout = 0
        except queue.Empty:
            pass
        # (A copy: the starting thread may be adding to it.)
        for number, process in list(self._processes.items()):
            if number not in self._done and process.exitcode is not None:
                # Its last words may still be on their way.
                try:
                    self._take(*self._results.get(timeout=1.0))
                except queue.Empty:
                    raise JobError('job %d ended unexpectedly (exit code '
                                   '%s)' % (number, process.exitcode)
                                   ) from None
                return

    def _take(self, kind, number, detail):
        if kind == _COUNTS:
            self.result.add(detail)
            if self.progress is not None:
                self.progress(self.result)
        elif kind == _DONE:
            self._done.add(number)
            self.stats.append(detail)
        else:
            text, database = detail
            raise JobError('job %d: %s' % (number, text), database=database)

    def stop(self):
        """Stop the jobs after their current batch (kill them after
        ``STOP_TIMEOUT``); wait for them to exit."""
        self._stop.set()
        if self._starter is not None:
            self._starter.join()
        # Parts never taken stay in the queue: do not wait at exit to
        # deliver them.
        self._tasks.cancel_join_thread()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self._processes.values():
            while process.exitcode is None and time.monotonic() < deadline:
                process.join(_POLL)
                # A job exits only once what it sent is read.
                self._drain()
            if process.exitcode is None:
                process.kill()
                process.join()
        self._processes = {}

    def _drain(self):
        try:
            while True:
                self._results.get_nowait()
        except queue.Empty:
            pass
