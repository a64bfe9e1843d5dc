"""Each attempt of an operation is its own operation: a boot rescheduled
after a failed spawn, from real nova 34 traffic
(``tests/fixtures/openstack/reschedule.jsonl``), compared with what Nova
recorded, in any order of the notifications and any batches."""

import datetime

import pytest

from stacktach_ng.analyses import merge
from stacktach_ng.analyses import timings as analysis
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import runner
from stacktach_ng.queries import summary
from stacktach_ng.queries import traces
from tests import base
from tests import captures
from tests import reschedule

LATER = reschedule.LATER


@pytest.fixture
def database(tmp_path):
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'a.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    yield conf, database
    database.dispose()


def load(conf, database, batches):
    pipe = runner.Pipeline(conf, database, source='import')
    for batch in batches:
        pipe.process(captures.envelopes(batch))


def test_arrival_order_is_two_attempts(database):
    conf, db = database
    load(conf, db, [captures.messages('reschedule')])
    reschedule.check_attempts(db)


@pytest.mark.parametrize('seed', range(8))
def test_any_order_and_batches_give_the_same_attempts(database, seed):
    conf, db = database
    load(conf, db, captures.shuffled_batches(captures.messages('reschedule'),
                                             seed))
    reschedule.check_attempts(db)


def test_one_notification_a_batch_in_reverse(database):
    conf, db = database
    load(conf, db, [[body] for body in
                    reversed(captures.messages('reschedule'))])
    reschedule.check_attempts(db)


def test_rows_are_the_same_whatever_the_order(tmp_path):
    found = []
    orders = [[captures.messages('reschedule')]] + [
        captures.shuffled_batches(captures.messages('reschedule'), seed)
        for seed in (101, 102, 103)]
    for number, batches in enumerate(orders):
        conf = base.make_conf('sqlite:///%s' % (tmp_path / ('%d.sqlite'
                                                            % number)))
        db = db_api.Database(conf)
        migration.upgrade(db)
        load(conf, db, batches)
        found.append(reschedule.stored_operations(db))
        db.dispose()
    assert all(rows == found[0] for rows in found)


def test_request_succeeded_and_its_trace_shows_both_attempts(database):
    conf, db = database
    load(conf, db, [captures.messages('reschedule')])
    action, _events = reschedule.nova_build_events()
    request_id = action['request_id']
    with db.reader() as connection:
        requests, _more = traces.list_requests(connection)
        failed, _more = traces.list_requests(connection, outcome='error')
        succeeded, _more = traces.list_requests(connection,
                                                outcome='success')
        trace = traces.get_trace(connection, request_id, now=LATER)
        latency = summary.request_latency(
            connection, datetime.datetime(2026, 1, 1), LATER)
    (request,) = [r for r in requests if r['request_id'] == request_id]
    assert request['outcome'] == 'success'
    assert request_id not in {r['request_id'] for r in failed}
    assert request_id in {r['request_id'] for r in succeeded}
    assert trace['outcome'] == 'success'
    assert [(item['operation'], item['errors']) for item in latency] == [
        ('instance.create', 0)]

    def spans(span):
        yield span
        for child in span['children']:
            yield from spans(child)

    operations = [s for s in spans(trace['root'])
                  if s['kind'] == 'operation']
    creates = [s for s in operations if s['operation'] == 'instance.create']
    assert [(s['host'], s['outcome']) for s in creates] == [
        ('compute1', 'error'), ('compute2', 'success')]
    # The shutdown of the failed spawn nests in the failed attempt.
    (shutdown,) = [s for s in operations
                   if s['operation'] == 'instance.shutdown']
    assert shutdown['parent_id'] == creates[0]['id']


def test_single_attempts_are_not_recomputed(database, monkeypatch):
    """Boots, a stop and start, a resize and a delete of the real cloud
    have one attempt each: the upsert alone writes them."""
    conf, db = database
    recomputed = []
    monkeypatch.setattr(analysis, 'recompute',
                        lambda connection, key: recomputed.append(key))
    for step in ('boot', 'stop-start', 'resize-confirm', 'delete'):
        load(conf, db, [captures.messages(step)])
    assert recomputed == []
    assert reschedule.operations_of(db)
    assert {o['attempt'] for o in reschedule.operations_of(db)} == {0}


# -- the pairing rules, on endpoints --------------------------------------

def _endpoint(at, phase, format_=0, host='h1', resource='r1'):
    row = {'message_id': '%s-%s-%d' % (phase, at, format_),
           'event_type': 'instance.create.' + phase,
           'generated_at': datetime.datetime(1970, 1, 1) + datetime.timedelta(
               seconds=at),
           'host': host, 'service': 'nova-compute', 'request_id': 'req',
           'project_id': 'p', 'resource_type': 'instance',
           'resource_id': resource, 'object_name': None if format_ % 2 == 0
           else 'InstanceActionPayload'}
    return (at * 1000000, format_, row['message_id'], phase, row)


def _shape(rows):
    return [(r['attempt'], r['host'], r['outcome'],
             r['start_us'] and r['start_us'] // 1000000,
             r['end_us'] and r['end_us'] // 1000000) for r in rows]


KEY = ('', 'req', 'instance.create')


def test_twins_are_one_attempt_and_legacy_wins():
    rows = analysis.attempt_rows(KEY, [
        _endpoint(10, 'start'), _endpoint(11, 'start', 1),
        _endpoint(20, 'error'), _endpoint(21, 'error', 1),
        _endpoint(30, 'start', host='h2'), _endpoint(31, 'start', 1, 'h2'),
        _endpoint(40, 'end', host='h2'), _endpoint(41, 'end', 1, 'h2')])
    assert _shape(rows) == [(0, 'h1', 'error', 10, 20),
                            (1, 'h2', 'success', 30, 40)]


def test_a_lost_legacy_copy_keeps_the_versioned_attempt():
    rows = analysis.attempt_rows(KEY, [
        _endpoint(10, 'start'), _endpoint(10, 'start', 1),
        _endpoint(20, 'error'), _endpoint(20, 'error', 1),
        _endpoint(30, 'start', 1, 'h2'), _endpoint(40, 'end', 1, 'h2')])
    assert _shape(rows) == [(0, 'h1', 'error', 10, 20),
                            (1, 'h2', 'success', 30, 40)]


def test_an_open_attempt_stays_open():
    rows = analysis.attempt_rows(KEY, [
        _endpoint(10, 'start'), _endpoint(20, 'error'),
        _endpoint(30, 'start', host='h2')])
    assert _shape(rows) == [(0, 'h1', 'error', 10, 20),
                            (1, 'h2', None, 30, None)]


def test_an_inferred_end_closes_the_open_attempt_only():
    scheduler = ('', 'req', 'scheduler.select_destinations')
    rows = analysis.attempt_rows(scheduler, [
        _endpoint(10, 'start'), _endpoint(11, 'end'),
        _endpoint(30, 'start'),
        _endpoint(40, 'error', merge.INFERRED)])
    assert _shape(rows) == [(0, 'h1', 'success', 10, 11),
                            (1, 'h1', 'error', 30, 40)]


def test_ends_of_several_resources_close_their_own_attempts():
    rows = analysis.attempt_rows(KEY, [
        _endpoint(10, 'start', resource='a'),
        _endpoint(11, 'start', host='h2', resource='b'),
        _endpoint(20, 'end', host='h2', resource='b'),
        _endpoint(30, 'error', resource='a')])
    assert [(r['resource_id'],) + s[1:] for r, s in zip(
        rows, _shape(rows), strict=True)] == [
        ('a', 'h1', 'error', 10, 30), ('b', 'h2', 'success', 11, 20)]
