"""Nova's reschedule of a boot after a failed spawn, captured from a real
nova 34 (``tests/fixtures/openstack/reschedule.jsonl``): the checks of
its operations against what Nova recorded, shared by the unit and
functional tests."""

import datetime

import sqlalchemy as sa

from stacktach_ng.analyses import timings as analysis
from stacktach_ng.queries import timings
from tests import captures

LATER = datetime.datetime(2030, 1, 1)
SECOND = datetime.timedelta(seconds=1)


def operations_of(database, name=None):
    with database.reader() as connection:
        found, _more = timings.list_operations(connection, limit=1000,
                                               now=LATER)
    found = [o for o in found if name is None or o['operation'] == name]
    return sorted(found, key=lambda o: (o['operation'], o['attempt']))


def stored_operations(database):
    """The rows of ``operations``, without their surrogate ids."""
    table = analysis.OPERATIONS
    columns = [c for c in table.c if c.name != 'id']
    with database.reader() as connection:
        return sorted(tuple(row) for row in connection.execute(
            sa.select(*columns)).all())


def nova_build_events():
    """Nova's ``compute__do_build_and_run_instance`` events of the
    rescheduled server, by host, and its instance action."""
    records = captures.nova_records('reschedule')
    (actions,) = records['instance_actions'].values()
    (action,) = actions
    events = {event['host']: event for event in action['events']
              if event['event'] == 'compute__do_build_and_run_instance'}
    return action, events


def legacy_time(event_type, host):
    for body in captures.messages('reschedule'):
        if body['event_type'] == event_type and body['publisher_id'] == (
                'compute.' + host):
            return datetime.datetime.strptime(
                body['metadata']['timestamp'], '%Y-%m-%d %H:%M:%S.%f')
    raise AssertionError('no %s from %s' % (event_type, host))


def check_attempts(database):
    """The two attempts of the boot agree with Nova's records."""
    action, events = nova_build_events()
    creates = operations_of(database, 'instance.create')
    assert [(o['attempt'], o['host'], o['outcome']) for o in creates] == [
        (0, 'compute1', 'error'), (1, 'compute2', 'success')]
    assert {o['request_id'] for o in creates} == {action['request_id']}
    for create in creates:
        # Nova's times are whole seconds, truncated.
        started = captures.nova_time(events[create['host']]['start_time'])
        assert started <= create['started_at'] < started + SECOND
    # Nova 34 finishes the first event of a name (compute1's row) with
    # the time the build ended on compute2, and leaves compute2's open:
    # its only finish is the end of the last attempt.
    finished = captures.nova_time(events['compute1']['finish_time'])
    assert finished == captures.nova_time(action['updated_at'])
    last = creates[1]
    assert finished <= last['ended_at'] < finished + SECOND
    nova_duration = finished - captures.nova_time(
        events['compute2']['start_time'])
    assert abs(datetime.timedelta(microseconds=last['duration_us'])
               - nova_duration) < SECOND
    # Nova keeps no end of the failed attempt: it ends with its
    # create.error (the legacy copy), before Nova started compute2's.
    first = creates[0]
    assert first['ended_at'] == legacy_time('compute.instance.create.error',
                                            'compute1')
    assert first['ended_at'] < captures.nova_time(
        events['compute2']['start_time']) + SECOND
    assert first['duration_us'] == (
        first['ended_at'] - first['started_at']) // datetime.timedelta(
        microseconds=1)
    # One scheduling, one shutdown (of the failed spawn, on compute1).
    assert [(o['attempt'], o['outcome']) for o in operations_of(
        database, 'scheduler.select_destinations')] == [(0, 'success')]
    assert [(o['attempt'], o['host'], o['outcome']) for o in operations_of(
        database, 'instance.shutdown')] == [(0, 'compute1', 'success')]
