"""The shape of a trace: no span repeating its request, and a critical
path over the whole tree, on hand-made trees, simulated traffic and the
capture of a real nova boot."""

import itertools

import pytest

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner
from stacktach_ng.queries import traces
from stacktach_ng.simulator import engine
from tests import base
from tests import captures

S = 1000000


def _span(span_id, start, end, *children):
    return {'id': span_id, 'start_us': start, 'end_us': end,
            'last_us': end, 'children': list(children)}


def test_a_long_child_ended_before_a_short_one_is_on_the_path():
    # A 58 s spawn then a 107 ms step ending last: the request waited on
    # both; the path marks the parent's long child, not only the last.
    spawn = _span('spawn', 1 * S, 59 * S,
                  _span('image', 2 * S, 40 * S), _span('net', 3 * S, 5 * S))
    tail = _span('tail', 59 * S, 59 * S + 107000)
    root = _span('root', 0, 60 * S, spawn, tail)
    assert traces._critical_path(root) == ['root', 'spawn', 'image',
                                           'tail']


def test_overlapping_children_keep_the_one_reaching_latest():
    root = _span('root', 0, 10 * S, _span('a', 0, 9 * S),
                 _span('b', 1 * S, 4 * S), _span('c', 8 * S, 10 * S))
    # c ends last; before c started, a reaches latest; nothing is left
    # before a started.
    assert traces._critical_path(root) == ['root', 'a', 'c']


def test_an_open_span_counts_until_its_last_moment():
    root = _span('root', 0, None, _span('done', 0, 2 * S),
                 dict(_span('open', 3 * S, None), last_us=9 * S))
    root['last_us'] = 9 * S
    assert traces._critical_path(root) == ['root', 'done', 'open']


@pytest.fixture
def database(tmp_path):
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'traces.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    database.pipeline = runner.Pipeline(conf, database, source='import')
    yield database
    database.dispose()


def _walk(span):
    yield span
    for child in span['children']:
        yield from _walk(child)


def _traces(database):
    with database.reader() as connection:
        found, _more = traces.list_requests(connection, limit=1000)
        return [traces.get_trace(connection, item['request_id'])
                for item in found]


def test_no_span_repeats_its_request_in_simulated_traffic(database):
    simulator = engine.Simulator(seed=3, hosts=3, projects=2,
                                 ops_per_hour=600)
    bodies = [n.body for n in itertools.islice(simulator.notifications(),
                                               1500)]
    database.pipeline.process([forms.to_envelope(b) for b in bodies])
    found = _traces(database)
    assert len(found) > 50
    folded = 0
    for trace in found:
        for span in _walk(trace['root']):
            for child in span['children']:
                assert (child['request_id'], child['started_at'],
                        child['ended_at']) != (
                    span['request_id'], span['started_at'],
                    span['ended_at']), (trace['request_id'], child['id'])
            if span['kind'] == 'request' and span['operation'] and not any(
                    child['kind'] == 'operation'
                    for child in span['children']):
                folded += 1
        # Every span is counted once.
        assert trace['span_count'] == sum(1 for _ in _walk(trace['root']))
    # The request spans that stood over an identical operation took its
    # name (neutron's port.create...).
    assert folded > 0


def _ends(span):
    return span['ended_at'] or span['started_at']


def test_the_critical_path_of_a_real_boot_is_its_chain_of_work(database):
    database.pipeline.process(captures.envelopes(captures.messages('boot')))
    boots = [trace for trace in _traces(database)
             if trace['root']['operation'] == 'instance.create']
    assert boots
    for trace in boots:
        root, path = trace['root'], trace['critical_path']
        assert path[0] == root['id']
        on_path = [child for child in root['children']
                   if child['id'] in path]
        # The child ending last is on it, and so is every child that
        # ended before the next one on the path started: nova's
        # scheduling, then the compute host's build.
        assert max(root['children'], key=_ends) in on_path
        operations = [child['operation'] for child in on_path]
        assert operations == ['scheduler.select_destinations',
                              'instance.create'], operations
        for before, after in zip(on_path, on_path[1:]):
            assert _ends(before) <= after['started_at']
        # Shown in tree order: parents before children.
        order = [span['id'] for span in _walk(root)]
        assert path == [span_id for span_id in order if span_id in path]
