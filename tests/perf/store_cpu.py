"""CPU time of the listener's store process per notification, by stage.

What the store process does for a batch, on a notifications file::

    stacktach-ng-manage simulate --count 20000 --seed 1 --output s.jsonl
    tox -e bench -- store-cpu s.jsonl --backend sqlite
    tox -e bench -- store-cpu s.jsonl --backend postgresql

The file's messages are brought to envelopes and encoded as the listener
worker hands them over (``store_process.encode_batch``, not timed). Then,
in this process set up as a store process is (``store_process.settle``:
the garbage collector),
each batch is decoded and given to ``Pipeline.process()``: normalized,
stored by every default handler in one transaction, committed. Every
stage is timed in CPU time of this process (user and system), not wall
time, so that a busy machine changes the figures less: what another
process does is not counted, only what this one computes. ``--stage``
stops after a stage, so that two runs under an instruction counter
(``valgrind --tool=callgrind``) tell a stage's instructions by difference
(``none`` reads and encodes the file and sets up, nothing more).

The figures are microseconds of CPU per notification, those of the
round with the least CPU in all (a new database each round). The
database server's own CPU (PostgreSQL) is not in them.
"""

import datetime
import gc
import time

from stacktach_ng.common import jsonutils
from stacktach_ng.db import api as db_api
from stacktach_ng.listener import store_process
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import rejection
from stacktach_ng.pipeline import runner
from tests.perf import databases
from tests.perf import profiling

STAGES = ('none', 'decode', 'normalize', 'all')

# A fixed time of receipt: the rows do not depend on when the run is.
_RECEIVED_AT = datetime.datetime(2026, 1, 2)


def wire_batches(path, count, batch_size):
    """The file's first ``count`` messages as the worker's encoded
    batches."""
    items = []
    with open(path, 'rb') as stream:
        for line in stream:
            try:
                items.append(forms.to_envelope(jsonutils.loads(line)))
            except rejection.Rejected as error:
                items.append(error)
            if len(items) >= count:
                break
    return [store_process.encode_batch(items[start:start + batch_size],
                                       _RECEIVED_AT)
            for start in range(0, len(items), batch_size)], len(items)


def run_round(url, batches, stage):
    """CPU seconds per stage of one pass over ``batches``."""
    conf = databases.make_conf(url)
    database = db_api.Database(conf)
    threshold = gc.get_threshold()
    try:
        pipeline = runner.Pipeline(conf, database)
        timer = profiling.StageTimer(pipeline, clock=time.process_time)
        store_process.settle()
        decode = 0.0
        started = time.process_time()
        if stage != 'none':
            for data in batches:
                before = time.process_time()
                items, received_at = store_process.decode_batch(data)
                decode += time.process_time() - before
                if stage == 'normalize':
                    pipeline.prepare(items, received_at)
                elif stage == 'all':
                    pipeline.process(items, received_at)
                del items
        total = time.process_time() - started
    finally:
        database.dispose()
        # The next round starts as a new store process would.
        gc.unfreeze()
        gc.set_threshold(*threshold)
    seconds = dict(timer.seconds)
    seconds['decode'] = decode
    seconds['total'] = total
    return seconds


def measure(options):
    """Print the CPU microseconds per notification of each stage."""
    batches, count = wire_batches(options.file, options.count,
                                  options.batch_size)
    best = None
    for _round in range(options.rounds):
        scratch = databases.new_scratch(options, 'storecpu')
        try:
            url = scratch.create()
            seconds = run_round(url, batches, options.stage)
        finally:
            scratch.drop()
        if best is None or seconds['total'] < best['total']:
            best = seconds
    print('%d notifications, batches of %d, %s, CPU time, best of %d '
          'rounds' % (count, options.batch_size, options.backend,
                      options.rounds))
    handlers = sum(value for stage, value in best.items()
                   if stage.startswith('handler '))
    store = best.pop('store (handlers + commit)', 0.0)
    total = best.pop('total')
    rows = [('decode', best.pop('decode', 0.0)),
            ('normalize', best.pop('normalize', 0.0))]
    rows.extend(sorted(best.items(), key=lambda item: -item[1]))
    rows.append(('transaction begin/commit', max(store - handlers, 0.0)))
    accounted = sum(value for _stage, value in rows)
    rows.append(('rest (garbage collection, freeing)',
                 max(total - accounted, 0.0)))
    rows.append(('total', total))
    for stage, value in rows:
        print('%-36s %8.1f us/notification' % (stage,
                                                value / count * 1e6))
