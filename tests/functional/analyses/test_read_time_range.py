"""A trace reads its request's notifications in the request's time range
(from its first to its last notification), and a lifecycle its
resource's, so that PostgreSQL looks only in the day partitions they
span: none of their notifications may be lost at the edges of that range
or across days."""

import datetime
import uuid

from stacktach_ng.db import partitions
from stacktach_ng.queries import lifecycles
from stacktach_ng.queries import traces
from tests.functional.analyses import fixtures

REQUEST = 'req-0a4c3f5e-6b1d-4e8a-9c2f-7d3b5a1e9f40'
OTHER_REQUEST = 'req-5e2b7c1d-3f4a-4b6c-8d9e-0a1b2c3d4e5f'
INSTANCE = '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b'
PROJECT = 'b2c3d4e5f6a7489b8c9d0e1f2a3b4c5d'
FIRST_DAY = datetime.datetime(2026, 3, 9)


def _update(request_id, at, vm_state='active'):
    """A legacy instance update of ``request_id`` generated at ``at``."""
    return {
        'message_id': str(uuid.uuid4()),
        'event_type': 'compute.instance.update',
        'priority': 'INFO',
        'publisher_id': 'compute.host-1',
        'timestamp': at.strftime('%Y-%m-%d %H:%M:%S.%f'),
        '_context_request_id': request_id,
        '_context_project_id': PROJECT,
        'payload': {'instance_id': INSTANCE, 'tenant_id': PROJECT,
                    'state': vm_state, 'old_state': None,
                    'host': 'host-1'},
    }


def _placed(span):
    """The message ids of the notifications placed in a span tree."""
    found = [item['message_id'] for item in span['notifications']]
    for child in span['children']:
        found.extend(_placed(child))
    return found


def _load_over_days(migrated_conf, bodies):
    """Store ``bodies`` with a day partition for each of their days on
    PostgreSQL, as the listener keeps them; return the Database."""
    database = fixtures.load(migrated_conf, [])
    try:
        with database.writer() as connection:
            if partitions.is_partitioned(connection, 'notifications'):
                partitions.ensure(connection, 'notifications',
                                  FIRST_DAY - datetime.timedelta(days=1), 5)
    finally:
        database.dispose()
    return fixtures.load(migrated_conf, bodies)


# The first notification a microsecond into the first day, the last a
# microsecond before the end of the third, one in between on two days:
# the range read is exactly the request's (and the instance's), and spans
# three days.
TIMES = [FIRST_DAY + datetime.timedelta(microseconds=1),
         FIRST_DAY + datetime.timedelta(hours=13, minutes=7),
         FIRST_DAY + datetime.timedelta(days=1, hours=2),
         FIRST_DAY + datetime.timedelta(days=3, microseconds=-1)]


def test_every_notification_of_a_request_spanning_days_is_in_its_trace(
        migrated_conf):
    bodies = [_update(REQUEST, at) for at in TIMES]
    # Another request of the same instance just outside the range on
    # either side: not part of the trace.
    bodies += [
        _update(OTHER_REQUEST, TIMES[0] - datetime.timedelta(seconds=5)),
        _update(OTHER_REQUEST, TIMES[-1] + datetime.timedelta(seconds=5))]
    database = _load_over_days(migrated_conf, bodies)
    try:
        with database.reader() as connection:
            trace = traces.get_trace(connection, REQUEST)
    finally:
        database.dispose()
    assert sorted(_placed(trace['root'])) == sorted(
        body['message_id'] for body in bodies[:4])
    assert trace['started_at'] == TIMES[0]


def test_every_state_of_a_resource_spanning_days_is_in_its_lifecycle(
        migrated_conf):
    # A vm state a notification, each different from the one before: each
    # notification is one transition of the timeline.
    vm_states = ['building', 'active', 'stopped', 'active']
    bodies = [_update(REQUEST, at, vm_state)
              for at, vm_state in zip(TIMES, vm_states)]
    database = _load_over_days(migrated_conf, bodies)
    try:
        with database.reader() as connection:
            resource = lifecycles.get_resource(connection, INSTANCE)
    finally:
        database.dispose()
    changes = [(t['at'], t['to']) for t in resource['transitions']
               if t['field'] == 'vm_state']
    assert changes == list(zip(TIMES, vm_states))
