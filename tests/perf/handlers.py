"""Cost of each ingestion handler per notification.

A reproducible measurement of what the handlers add to ingestion, for
example::

    stacktach-ng-manage simulate --count 60000 --seed 1 --output s.jsonl
    tox -e bench -- handlers s.jsonl

The file's messages are normalized first (not timed), then stored in a
new SQLite database in batches, one transaction per batch as the
listener does, timing each handler's ``process`` separately. Prints the
microseconds per notification of every handler and their total; run it
twice and keep the lower figures on a busy machine.
"""

import os
import tempfile
import time

from stacktach_ng.common import jsonutils
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner as pipeline
from tests import base


def _batches(path, count, batch_size):
    bodies = []
    with open(path, 'rb') as stream:
        for line in stream:
            bodies.append(jsonutils.loads(line))
            if len(bodies) >= count:
                break
    return [bodies[start:start + batch_size]
            for start in range(0, len(bodies), batch_size)]


def measure(path, count, batch_size, rounds, names=None):
    """Print the per-notification cost of every handler (best round)."""
    batches = _batches(path, count, batch_size)
    best = None
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as directory:
            conf = base.make_conf('sqlite:///' + os.path.join(
                directory, 'handlers.db'))
            if names:
                conf.set_override('handlers', names, 'listener')
            database = db_api.Database(conf)
            try:
                migration.upgrade(database)
                spent = _run(conf, database, batches)
            finally:
                database.dispose()
        best = spent if best is None else {
            name: min(value, spent[name]) for name, value in best.items()}
    total = sum(len(batch) for batch in batches)
    print('%d notifications, batches of %d, best of %d rounds' % (
        total, batch_size, rounds))
    for name, seconds in best.items():
        print('%-14s %7.2f us/notification' % (name, seconds / total * 1e6))
    analyses = sum(seconds for name, seconds in best.items()
                   if name not in ('notifications', 'usage'))
    print('%-14s %7.2f us/notification' % ('analyses', analyses / total
                                             * 1e6))
    print('%-14s %7.2f us/notification' % (
        'all', sum(best.values()) / total * 1e6))


def _run(conf, database, batches):
    pipe = pipeline.Pipeline(conf, database, source='import')
    spent = {handler.name: 0.0 for handler in pipe.handlers}
    for batch in batches:
        records, _rejected, _result = pipe.prepare(
            [forms.to_envelope(body) for body in batch])
        with database.writer() as connection:
            earlier = {}
            for handler in pipe.handlers:
                if handler.reads_before:
                    start = time.perf_counter()
                    earlier[handler.name] = handler.before(connection,
                                                           records)
                    spent[handler.name] += time.perf_counter() - start
            for handler in pipe.handlers:
                start = time.perf_counter()
                if handler.reads_before:
                    out = handler.process(connection, records,
                                          earlier[handler.name])
                else:
                    out = handler.process(connection, records)
                spent[handler.name] += time.perf_counter() - start
                if out is not None:
                    records = out
    return spent
