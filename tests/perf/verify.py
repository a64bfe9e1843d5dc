"""``tox -e bench -- verify``: one verifier pass over N exists.

A fresh database gets ``--count`` instances, each with its launch and an
exists record for one audit day, as the usage handler stores them; one
in a hundred exists names another flavor than its launch, so that the
failure path is timed too. Loading is not timed. Then one pass of the
verifier (``--verifiers`` of them at once, each in a thread with its own
connections, as several ``stacktach-ng-verifier`` share the work) is timed
until every record is decided, and the outcome is checked: each record
verified or failed exactly once, the mismatches and only them failed.
"""

import datetime
import os
import shutil
import sys
import tempfile
import threading
import time

import sqlalchemy as sa

from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.db import upsert
from stacktach_ng.usage import checks
from stacktach_ng.usage import store
from stacktach_ng.usage import verify
from tests.perf import databases
from tests.perf import report

# SPEC section 9: 100,000 exists verified in under a minute.
TARGET_SECONDS = 60.0
TARGET_COUNT = 100000

# One exists in MISMATCH_EVERY names another flavor than its launch.
MISMATCH_EVERY = 100

_CHUNK = 5000
_LAUNCHED = datetime.datetime(2026, 3, 1, 10)
_BEGINNING = datetime.datetime(2026, 3, 2)
_ENDING = datetime.datetime(2026, 3, 3)
_FLAVOR = {'flavor_id': '2', 'flavor_name': 'm1.small',
           'instance_type_id': '12', 'vcpus': 1, 'memory_mb': 2048,
           'root_gb': 20, 'ephemeral_gb': 0}
_OTHER_FLAVOR = {'flavor_id': '3', 'flavor_name': 'm1.medium',
                 'instance_type_id': '13', 'vcpus': 2, 'memory_mb': 4096,
                 'root_gb': 40, 'ephemeral_gb': 0}


def seed(database, count, received_at):
    """Store ``count`` launches and their exists; return the number of
    exists whose flavor does not match."""
    mismatches = 0
    common = {'project_id': 'project-1', 'user_id': 'user-1',
              'image_id': 'image-1'}
    with database.writer() as connection:
        for start in range(0, count, _CHUNK):
            numbers = range(start, min(start + _CHUNK, count))
            launches = []
            exists = []
            for number in numbers:
                instance = 'instance-%08d' % number
                launches.append(dict(
                    common, **_FLAVOR, instance_id=instance,
                    launched_at=_LAUNCHED, effective_at=_LAUNCHED,
                    kind='create', evidence=0,
                    message_id='launch-' + instance, generated_at=_LAUNCHED))
                wrong = number % MISMATCH_EVERY == MISMATCH_EVERY - 1
                mismatches += wrong
                exists.append(dict(
                    common, **(_OTHER_FLAVOR if wrong else _FLAVOR),
                    message_id='exists-' + instance,
                    event_type='compute.instance.exists',
                    resource_type='instance', resource_id=instance,
                    launched_at=_LAUNCHED, deleted_at=None,
                    audit_period_beginning=_BEGINNING,
                    audit_period_ending=_ENDING, size_bytes=None,
                    volume_type=None, generated_at=_ENDING,
                    received_at=received_at, status='pending', reason=None,
                    detail=None, verified_at=None, attempts=0,
                    claimed_by=None, claimed_until=None, notified_at=None))
            upsert.insert_ignore(connection, store.LAUNCHES, launches)
            upsert.insert_ignore(connection, store.EXISTS, exists)
    return mismatches


def run_passes(conf, verifiers):
    """Run ``verifiers`` passes at once; return (results, seconds)."""
    results = [None] * verifiers
    errors = []

    def one(index):
        database = db_api.Database(conf)
        try:
            results[index] = verify.Verifier(conf, database).run_pass()
        except Exception as error:  # reported below, with the others
            errors.append(error)
        finally:
            database.dispose()

    threads = [threading.Thread(target=one, args=(index,))
               for index in range(verifiers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    if errors:
        raise errors[0]
    return results, seconds


def outcome(database):
    """{(status, reason, attempts): count} of the exists records."""
    exists = store.EXISTS
    with database.reader() as connection:
        rows = connection.execute(
            sa.select(exists.c.status, exists.c.reason, exists.c.attempts,
                      sa.func.count())
            .group_by(exists.c.status, exists.c.reason,
                      exists.c.attempts)).all()
    return {(row[0], row[1], row[2]): row[3] for row in rows}


COLUMNS = [('backend', 'database'), ('verifiers', 'verifiers'),
           ('count', 'exists'), ('seconds', 'seconds'),
           ('rate', 'exists/s'), ('verified', 'verified'),
           ('failed', 'failed'), ('seed_seconds', 'loading s (untimed)')]


def run(options):
    """Run the verifier benchmark; return a ``report.Results``."""
    results = report.Results('verify', {
        'backend': options.backend, 'count': options.count,
        'verifiers': options.verifiers})
    work_dir = tempfile.mkdtemp(prefix='stacktach-bench-')
    scratch = databases.ScratchDatabase(
        options.backend, work_dir, server_url=options.server_url,
        label='bench_verify')
    try:
        url = scratch.create()
        conf = databases.make_conf(url)
        database = db_api.Database(conf)
        try:
            started = time.monotonic()
            # Received long enough ago to be past the settle delay.
            mismatches = seed(database, options.count, timestamps.utcnow()
                              - datetime.timedelta(
                                  seconds=conf.verifier.settle_delay + 60))
            seed_seconds = time.monotonic() - started
            sys.stderr.write('loaded %d exists in %.0f s; verifying\n'
                             % (options.count, seed_seconds))
            passes, seconds = run_passes(conf, options.verifiers)
            decided = outcome(database)
        finally:
            database.dispose()
        verified = sum(result.verified for result in passes)
        failed = sum(result.failed for result in passes)
        results.add(backend=options.backend, verifiers=options.verifiers,
                    count=options.count, seconds=round(seconds, 1),
                    rate=report.rate(verified + failed, seconds),
                    verified=verified, failed=failed,
                    seed_seconds=round(seed_seconds, 1))
        expected = {
            (verify.VERIFIED, None, 1): options.count - mismatches,
            (verify.FAILED, checks.FLAVOR_MISMATCH, 1): mismatches}
        expected = {key: value for key, value in expected.items() if value}
        exact = decided == expected
        results.check('every exists decided once, the mismatches failed',
                      'yes' if exact else 'no: %s' % decided, 'yes', exact)
        if options.count >= TARGET_COUNT:
            scaled = seconds * TARGET_COUNT / options.count
            results.check('seconds for 100,000 exists', round(scaled, 1),
                          '< %g' % TARGET_SECONDS, scaled < TARGET_SECONDS)
    finally:
        if options.keep:
            results.note('database kept: %s' % scratch.url)
        else:
            scratch.drop()
            shutil.rmtree(work_dir, ignore_errors=True)
    if options.keep and not os.listdir(work_dir):
        os.rmdir(work_dir)
    results.finish()
    return results
