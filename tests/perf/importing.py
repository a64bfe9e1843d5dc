"""``tox -e bench -- import``: the pipeline without a broker.

``stacktach-ng-manage import`` of one notifications file into a fresh
database, run as an operator runs it (a process of its own), once with
every default handler and once with the ``notifications`` handler alone.
Reported: notifications per second of wall time inside the command (as it
prints it), per second including the process start-up, and per CPU second
(the import runs on one core; on a busy machine the CPU rate is the
steadier figure).

In the same run, the **floor**: the part of an import that no ingest
code can make cheaper, measured in this process on the same file. Its
lines are parsed by orjson alone (the inner message of a wire v2 body
too), and their normalized rows (normalization is not timed) are
inserted by the database driver alone into a fresh database with the
shipped schema, one transaction per batch, with no duplicate check and
no handler. Its rate bounds what any
import can reach on this machine and schema; the ratio of the import to
it shows how much of the time is the pipeline's own. The floor is also
measured without the notifications table's lookup indexes (only the
unique message id), to show what they cost.

With ``--profile``, a further run in this process on the first
``--profile-count`` notifications of the file times each pipeline stage
(normalization, each handler, the commit, the reading) and lists the
functions with the most own time (cProfile; its overhead inflates every
figure of that run about alike).
"""

import cProfile
import io
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import orjson
import sqlalchemy as sa

from stacktach_ng.conf import listener as listener_conf
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.handlers import notifications
from stacktach_ng.pipeline import runner
from stacktach_ng.replay import importer
from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks
from tests.perf import databases
from tests.perf import profiling
from tests.perf import report

TARGET_RATE = 20000

HANDLER_SETS = {
    'all': listener_conf.DEFAULT_HANDLERS,
    'notifications': ['notifications'],
}

_SUMMARY = re.compile(r'Imported \d+ file\(s\) in ([0-9.]+) s: read (\d+), '
                      r'stored (\d+)')


def generate(path, count, seed=42, fmt='mixed'):
    """Write ``count`` simulated notifications (wire v2 JSON lines)."""
    sink = sinks.FileSink(path, form='wire-v2')
    try:
        for body in engine.Simulator(seed=seed, fmt=fmt).messages(
                count=count):
            sink.publish(body)
    finally:
        sink.close()
    return path


def _manage_command():
    script = os.path.join(os.path.dirname(sys.executable),
                          'stacktach-ng-manage')
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-c',
            'import sys; from stacktach_ng.cmd.manage import main; '
            'sys.exit(main())']


_JOB = re.compile(r'Import job (\d+): \d+ part\(s\) in [0-9.]+ s '
                  r'\(([0-9.]+) CPU s\), of which ([0-9.]+) s waiting for a '
                  r'part to be read and ([0-9.]+) s for the SQLite write '
                  r'lock \(held ([0-9.]+) s\)')


def run_import_command(config_file, path, log_path, jobs=1):
    """Run ``stacktach-ng-manage import [--jobs N]``; return its figures.

    With several jobs, the CPU time is the command's process (job 1,
    which reads the files and stores parts too) plus each other job's, as
    the jobs report it (they are no children of the command's process,
    whose CPU time leaves them out); the one-time import of the modules
    the jobs are forked from is not in it. The jobs' waits are summed:
    for a part to be read (the reading is the bottleneck) and for the
    SQLite write lock (the database is), and the time they held that
    lock: on SQLite, the part of the import no number of jobs shortens.
    """
    with open(log_path, 'wb') as log:
        started = time.monotonic()
        process = subprocess.Popen(
            _manage_command() + ['--config-file', config_file, 'import',
                                 '--jobs', str(jobs), path],
            stdout=log, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
    with open(log_path, errors='replace') as log:
        output = log.read()
    match = _SUMMARY.search(output)
    if process.returncode != 0 or match is None:
        raise RuntimeError('import failed (exit %d): %s' % (
            process.returncode, output.strip().splitlines()[-1:]))
    seconds, read, stored = (float(match.group(1)), int(match.group(2)),
                             int(match.group(3)))
    command_cpu = usage.ru_utime + usage.ru_stime
    # {job number: (CPU s, part wait s, lock wait s, lock held s)}
    job_figures = {int(found[0]): tuple(float(value) for value in found[1:])
                   for found in _JOB.findall(output)}
    if jobs > 1 and len(job_figures) != jobs:
        raise RuntimeError('import --jobs %d reported %d job(s)'
                           % (jobs, len(job_figures)))
    # Job 1 is the command's own process: its CPU time is in ``usage``.
    cpu = command_cpu + sum(figures[0] for number, figures
                           in job_figures.items() if number != 1)
    return {'count': read, 'stored': stored, 'seconds': seconds,
            'jobs': jobs,
            'rate': report.rate(read, seconds),
            'wall_rate': report.rate(read, wall),
            'cpu_seconds': round(cpu, 2),
            'cpu_rate': report.rate(read, cpu),
            'command_cpu_seconds': (round(command_cpu, 2) if jobs > 1
                                   else None),
            'part_wait_seconds': (
                round(sum(f[1] for f in job_figures.values()), 2)
                if jobs > 1 else None),
            'lock_wait_seconds': (
                round(sum(f[2] for f in job_figures.values()), 2)
                if jobs > 1 else None),
            'lock_held_seconds': (
                round(sum(f[3] for f in job_figures.values()), 2)
                if jobs > 1 else None),
            'rss_max_mib': round(usage.ru_maxrss / 1024.0, 1)}


def _head(path, count, out_path):
    """The first ``count`` lines of a (gzipped or plain) JSON-lines file."""
    stream = importer.open_source(path)
    try:
        with open(out_path, 'wb') as output:
            for line in itertools.islice(stream, count):
                output.write(line)
    finally:
        stream.close()
    return out_path


def profile_import(database_url, path, handlers, batch_size):
    """Import ``path`` in this process under cProfile, each stage timed;
    return (stage rows, top function rows, count)."""
    conf = databases.make_conf(database_url,
                               listener={'handlers': handlers})
    database = db_api.Database(conf)
    job = importer.Importer(conf, database, batch_size=batch_size)
    timer = profiling.StageTimer(job.pipeline)
    profile = cProfile.Profile()
    started = time.perf_counter()
    try:
        with importer.bulk_gc():
            profile.enable()
            try:
                job.import_path(path)
            finally:
                profile.disable()
    finally:
        database.dispose()
    elapsed = time.perf_counter() - started
    count = job.result.received
    return (timer.rows(elapsed, count), profiling.top_functions(profile),
            count)


def measure_floor(database_url, path, batch_size, secondary_indexes=True):
    """Time parsing the file's JSON lines and the driver's insert of their
    rows, nothing else; return ``{count, read_us, insert_us, rate, ...}``.

    Batches are streamed (read, normalized untimed, inserted, dropped), so
    memory stays that of one batch whatever the file's size. With
    ``secondary_indexes=False`` the notifications table loses its lookup
    indexes and only the unique message id (``notification_ids``) stays:
    what the lookup indexes cost shows against the floor with them.
    """
    conf = databases.make_conf(database_url)
    database = db_api.Database(conf)
    table = models.Notification.__table__
    prepare = runner.Pipeline(conf, database, handlers=[],
                                       source=importer.SOURCE).prepare
    read_seconds = insert_seconds = 0.0
    count = 0
    try:
        migration.upgrade(database)
        if not secondary_indexes:
            with database.writer() as connection:
                for index in table.indexes:
                    connection.execute(sa.schema.DropIndex(index))
        stream = importer.open_source(path)
        try:
            with importer.bulk_gc():
                while True:
                    lines = list(itertools.islice(stream, batch_size))
                    if not lines:
                        break
                    count += len(lines)
                    started = time.perf_counter()
                    _parse_only(lines)
                    read_seconds += time.perf_counter() - started
                    records, _rejected, _result = prepare(list(
                        importer.envelopes_of(io.BytesIO(b''.join(lines)))))
                    rows = [record.row for record in records]
                    started = time.perf_counter()
                    with database.writer() as connection:
                        notifications.store_rows(connection, rows)
                    insert_seconds += time.perf_counter() - started
        finally:
            stream.close()
    finally:
        database.dispose()
    return {'count': count,
            'secondary_indexes': secondary_indexes,
            'read_us': _per_message_us(read_seconds, count),
            'insert_us': _per_message_us(insert_seconds, count),
            'rate': report.rate(count, read_seconds + insert_seconds)}


def _parse_only(lines):
    """Parse JSON lines with orjson alone, the inner message of a wire v2
    body too: the least that reading a file can cost."""
    for line in lines:
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            # Not JSON lines (or a bad line): it costs what it cost.
            continue
        if type(value) is dict:
            inner = value.get('oslo.message')
            if type(inner) is str:
                orjson.loads(inner)


def _per_message_us(seconds, count):
    return round(seconds / count * 1e6, 1) if count else None


def _floors(options, work_dir, path):
    """The floor with the shipped schema, and without its lookup
    indexes, each on a fresh scratch database."""
    floors = []
    for secondary_indexes in (True, False):
        scratch = databases.ScratchDatabase(
            options.backend, work_dir, server_url=options.server_url)
        try:
            scratch.create()
            floors.append(measure_floor(
                scratch.url, path, importer.DEFAULT_BATCH_SIZE,
                secondary_indexes=secondary_indexes))
        finally:
            if not options.keep:
                scratch.drop()
        sys.stderr.write(
            'floor, %s: %.0f msgs/s (read %.1f us, insert %.1f us a '
            'message)\n' % (
                'shipped schema' if secondary_indexes
                else 'unique message id only', floors[-1]['rate'],
                floors[-1]['read_us'], floors[-1]['insert_us']))
    return floors


def _measure(options, work_dir, path, name, jobs):
    """One import of ``path`` into a fresh scratch database."""
    scratch = databases.ScratchDatabase(
        options.backend, work_dir, server_url=options.server_url)
    try:
        scratch.create()
        config = databases.write_config(
            os.path.join(work_dir, 'import-%s.conf' % name),
            {'database': {'connection': scratch.url},
             'listener': {'handlers': HANDLER_SETS[name]}})
        row = run_import_command(
            config, path, os.path.join(work_dir, 'import-%s.log' % name),
            jobs=jobs)
    finally:
        if not options.keep:
            scratch.drop()
    row.update(name=name, backend=options.backend,
               load_average=report.load_average())
    return row


# "import --jobs N" against one job, in the same round: at least this
# much faster for each job beyond the first (1.6 for two jobs).
JOBS_SPEED_UP_PER_JOB = 0.8


def _speed_ups(results, figures, options):
    """The rate of N jobs over one job's, round by round."""
    for name in options.handler_sets:
        ratios = sorted(
            jobs_row['rate'] / one_row['rate']
            for one_row, jobs_row in zip(figures[(name, 1)],
                                         figures[(name, options.jobs)],
                                         strict=True))
        median = statistics.median(ratios)
        results.extra.setdefault('speed_up', {})[name] = ratios
        results.note('%s handlers: --jobs %d at %s of one job\'s rate '
                     '(round by round)' % (
                         name, options.jobs,
                         ', '.join('%.2f' % ratio for ratio in ratios)))
        target = JOBS_SPEED_UP_PER_JOB * options.jobs
        results.check('import --jobs %d over one job, %s handlers (median '
                      'of the rounds)' % (options.jobs, name),
                      round(median, 2), '>= %.1f' % target,
                      median >= target)


COLUMNS = [
    ('name', 'handlers'), ('backend', 'database'), ('count', 'messages'),
    ('jobs', 'jobs'),
    ('rate', 'msgs/s (command)'), ('wall_rate', 'msgs/s incl. start-up'),
    ('cpu_rate', 'msgs/CPU-s'), ('rss_max_mib', 'RSS max MiB'),
    ('stored', 'stored'), ('command_cpu_seconds', 'command CPU-s'),
    ('part_wait_seconds', 'part wait s'),
    ('lock_wait_seconds', 'lock wait s'),
    ('lock_held_seconds', 'lock held s'),
]

STAGE_COLUMNS = [('stage', 'stage'), ('seconds', 'seconds'),
                 ('share', 'share'), ('us_per_message', 'us/msg')]

FUNCTION_COLUMNS = [('function', 'function'), ('calls', 'calls'),
                    ('own_s', 'own s'), ('cumulative_s', 'cumulative s')]


def run(options):
    """Run the import benchmark; return a ``report.Results``."""
    work_dir = tempfile.mkdtemp(prefix='stacktach-bench-')
    path = options.input
    if path is None:
        path = generate(os.path.join(work_dir, 'notifications.jsonl'),
                        options.count, options.seed, options.format)
    elif options.count:
        path = _head(path, options.count,
                     os.path.join(work_dir, 'notifications.jsonl'))
    results = report.Results('import', {
        'backend': options.backend, 'input': options.input or 'simulated',
        'count': options.count, 'format': options.format,
        'seed': options.seed, 'repeat': options.repeat,
        'jobs': options.jobs})
    figures = {}
    job_counts = [1] if options.jobs == 1 else [1, options.jobs]
    for round_number in range(options.repeat):
        # One job first in a round, the jobs first in the next: a load
        # that grows or fades during the run weighs on both alike.
        order = job_counts if round_number % 2 == 0 else job_counts[::-1]
        for name in options.handler_sets:
            for jobs in order:
                row = _measure(options, work_dir, path, name, jobs)
                row.update(round=round_number + 1)
                results.add(**row)
                figures.setdefault((name, jobs), []).append(row)
                sys.stderr.write(
                    'import (%s handlers, %d job(s)): %.0f msgs/s, %.0f '
                    'msgs/CPU-s, load %s\n' % (
                        name, jobs, row['rate'], row['cpu_rate'],
                        row['load_average']))
    if options.jobs > 1:
        _speed_ups(results, figures, options)
    figures = {name: rows for (name, jobs), rows in figures.items()
               if jobs == 1}
    floor, bare_floor = _floors(options, work_dir, path)
    results.extra['floor'] = floor
    results.extra['floor_without_lookup_indexes'] = bare_floor
    for name, rows in figures.items():
        results.note('%s handlers: %.2f of the floor rate' % (
            name, max(row['rate'] for row in rows) / floor['rate']))
    results.note('the lookup indexes cost %.1f us of the %.1f us of the '
                 'floor insert' % (
                     floor['insert_us'] - bare_floor['insert_us'],
                     floor['insert_us']))
    results.check('floor rate: reading and the driver\'s insert alone '
                  '(msgs/s)', floor['rate'], '>= %d' % TARGET_RATE,
                  floor['rate'] >= TARGET_RATE)
    best = figures.get('all')
    if best:
        wall = max(row['rate'] for row in best)
        cpu = max(row['cpu_rate'] for row in best)
        results.check('import rate, every default handler (msgs/s)', wall,
                      '>= %d' % TARGET_RATE, wall >= TARGET_RATE)
        results.check('import rate per CPU second, every default handler',
                      cpu, '>= %d' % TARGET_RATE, cpu >= TARGET_RATE)
    if options.profile:
        sample = _head(path, options.profile_count,
                       os.path.join(work_dir, 'profile.jsonl'))
        scratch = databases.ScratchDatabase(
            options.backend, work_dir, server_url=options.server_url)
        try:
            scratch.create()
            stages, functions, count = profile_import(
                scratch.url, sample,
                HANDLER_SETS[options.handler_sets[0]],
                importer.DEFAULT_BATCH_SIZE)
        finally:
            scratch.drop()
        results.extra['profile'] = {'count': count, 'stages': stages,
                                    'functions': functions}
    results.finish()
    if not options.keep:
        shutil.rmtree(work_dir, ignore_errors=True)
    return results


def profile_text(results):
    """The profile part of the report, or '' without ``--profile``."""
    profile = results.extra.get('profile')
    if not profile:
        return ''
    return '\n'.join([
        '', 'Profile of %d notifications in this process (cProfile on):'
        % profile['count'],
        report.format_table(STAGE_COLUMNS, profile['stages']), '',
        report.format_table(FUNCTION_COLUMNS, profile['functions'])])

