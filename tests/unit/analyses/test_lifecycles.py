"""The ``resources`` row of a resource: its first and last sighting and
its latest state, the same whatever the order and the batches in which
its notifications arrive."""

import datetime
import itertools
import random

import pytest
import sqlalchemy as sa

from stacktach_ng.analyses import lifecycles

_AT = datetime.datetime(2026, 3, 2, 10, 0, 0)
_EPOCH = datetime.datetime(1970, 1, 1)


def _us(seconds):
    """Epoch microseconds of ``_AT`` + ``seconds``, written out."""
    moment = _AT + datetime.timedelta(seconds=seconds)
    return (moment - _EPOCH) // datetime.timedelta(microseconds=1)


class _Record:
    def __init__(self, row, payload=None, resource_ids=None):
        self.row = row
        self.payload = payload or {}
        self.resource_ids = resource_ids


def _row(message_id, seconds, event_type, resource_id='vm-1', **values):
    row = {'message_id': message_id, 'event_type': event_type,
           'generated_at': _AT + datetime.timedelta(seconds=seconds),
           'resource_id': resource_id, 'resource_type': 'instance',
           'project_id': 'p-1', 'request_id': 'req-1',
           'service': 'nova-compute', 'host': 'h1', 'vm_state': None,
           'task_state': None, 'power_state': None}
    row.update(values)
    return row


# An instance's notifications. Two of them report a state at the very
# same microsecond (the greater message id, a3, is the later), and two
# report none at the latest moment (a9 is the later); project and type
# are the least known ones (a notification naming neither does not
# erase them).
INSTANCE = [
    _Record(_row('a1', 1, 'compute.instance.create.start', project_id='p-2',
                 vm_state='building', task_state='spawning',
                 power_state='pending')),
    _Record(_row('a2', 5, 'compute.instance.create.end', host='h2',
                 vm_state='active', power_state='running')),
    _Record(_row('a3', 5, 'instance.create.end', host='h3',
                 request_id='req-3', vm_state='active',
                 power_state='running')),
    _Record(_row('a0', 9, 'compute.instance.exists', host='h4',
                 project_id=None, resource_type=None)),
    _Record(_row('a9', 9, 'compute.instance.exists', host='h5',
                 service='nova-conductor')),
]

# A volume's status is read from its payload; a later notification
# without one does not erase it.
VOLUME = [
    _Record(_row('v1', 2, 'volume.create.start', resource_id='vol-1',
                 resource_type='volume', service='cinder-volume'),
            {'status': 'creating'}),
    _Record(_row('v2', 3, 'volume.create.end', resource_id='vol-1',
                 resource_type='volume', service='cinder-volume'),
            {'status': 'available'}),
    _Record(_row('v3', 4, 'volume.usage', resource_id='vol-1',
                 resource_type='volume', service='cinder-volume')),
]

# neutron's bulk port creation names two ports; a notification naming no
# resource makes no row.
OTHERS = [
    _Record(_row('n1', 6, 'port.create.end', resource_id='port-1',
                 resource_type='port', service='neutron-server'),
            resource_ids=('port-1', 'port-2')),
    _Record(_row('n2', 7, 'compute.instance.update', resource_id=None)),
]

RECORDS = INSTANCE + VOLUME + OTHERS

_COLUMNS = ('resource_type', 'project_id', 'first_us', 'last_us',
            'last_message_id', 'last_event_type', 'last_service',
            'last_host', 'state_us', 'state_message_id', 'vm_state',
            'task_state', 'power_state', 'status', 'state_event_type',
            'state_request_id', 'state_host', 'task_source', 'task_us',
            'task_message_id', 'task_value', 'task_break_us',
            'task_break_message_id', 'task_since_us',
            'task_since_message_id')


def _expected(*values):
    return dict(zip(_COLUMNS, values))


# The task-state timeline of vm-1 (no instance.update among its
# notifications, so the other state-bearing ones): spawning at a1, no
# task at a2 and a3. Its summary (source 0): last a3, no task, which
# began at a2, after the break at a1. The others report no task.
NO_TASK = (None,) * 8
EXPECTED = {
    'vm-1': _expected(
        'instance', 'p-1', _us(1), _us(9), 'a9', 'compute.instance.exists',
        'nova-conductor', 'h5', _us(5), 'a3', 'active', None, 'running',
        None, 'instance.create.end', 'req-3', 'h3',
        0, _us(5), 'a3', None, _us(1), 'a1', _us(5), 'a2'),
    'vol-1': _expected(
        'volume', 'p-1', _us(2), _us(4), 'v3', 'volume.usage',
        'cinder-volume', 'h1', _us(3), 'v2', None, None, None, 'available',
        'volume.create.end', 'req-1', 'h1', *NO_TASK),
    'port-1': _expected(
        'port', 'p-1', _us(6), _us(6), 'n1', 'port.create.end',
        'neutron-server', 'h1', None, None, None, None, None, None, None,
        None, None, *NO_TASK),
}
EXPECTED['port-2'] = EXPECTED['port-1']


def _arrivals():
    """Batches of RECORDS: all at once, one at a time, each forwards and
    backwards, and shuffled into batches of random sizes."""
    forwards, backwards = list(RECORDS), list(reversed(RECORDS))
    yield 'one-batch', [forwards]
    yield 'one-batch-reversed', [backwards]
    yield 'one-by-one', [[record] for record in forwards]
    yield 'one-by-one-reversed', [[record] for record in backwards]
    # The notification naming no project nor type first, then last, of
    # one batch: the batch's row takes them from the others.
    unnamed = INSTANCE[3]
    others = [record for record in RECORDS if record is not unnamed]
    yield 'unnamed-first', [[unnamed, *others]]
    yield 'unnamed-last', [[*others, unnamed]]
    for seed in range(4):
        chance = random.Random(seed)
        shuffled = list(RECORDS)
        chance.shuffle(shuffled)
        cuts = sorted(chance.sample(range(1, len(shuffled)), 3))
        yield 'shuffled-%d' % seed, [
            shuffled[start:end] for start, end in itertools.pairwise(
                [0, *cuts, len(shuffled)])]


ARRIVALS = dict(_arrivals())


@pytest.mark.parametrize('arrival', sorted(ARRIVALS))
def test_a_resource_row_is_the_same_in_any_order(database, arrival):
    for batch in ARRIVALS[arrival]:
        rows, summaries = lifecycles.resource_rows(batch)
        with database.writer() as connection:
            lifecycles.write_resources(connection, rows, summaries)
    with database.reader() as connection:
        stored = {row.resource_id: {name: getattr(row, name)
                                    for name in _COLUMNS}
                  for row in connection.execute(
                      sa.select(lifecycles.RESOURCES))}
    assert stored == EXPECTED
