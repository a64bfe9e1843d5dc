"""Manila's own notifications (tests/fixtures/real/manila.json): what each
becomes, a share's lifecycle, and a share whose deletion did not end is
stuck.

manila-share sends ``share.<action>.start``/``.end`` (create, delete,
extend, shrink) from manila/share/manager.py, published as
``share.<host>``. The payload's ``status`` is the share instance's as
the manager loaded it before the action, not a result: the create.end
of these messages still says ``creating``, so no state is read from it
(a share.delete.end is the deletion).
"""

import copy
import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# The shares of the four tests the messages come from (payload share_id).
CREATED = 'f2004d4b-3e79-46c3-a167-d27718f5c31c'
EXTENDED = 'ec18651b-03be-4eb7-9678-db7128495797'
SHRUNK = 'c6951f61-2fb8-4416-9f58-2d055501f046'
FAILED = 'fbbfb405-9715-4734-a7bf-02fa18f74e55'

# Per message, in the file's order: (event type, id, state). The service
# is manila-share (publisher "share.fake_host": the alias of "share"),
# the host "fake_host" (manila's tests' host), the type "share", the
# project "fake" (payload project_id), the id the payload's share_id;
# the state is None but on the delete.end.
EXPECTED = [
    # test_create_delete_share_instance
    ('share.create.start', CREATED, None),
    ('share.create.end', CREATED, None),
    ('share.delete.start', CREATED, None),
    ('share.delete.end', CREATED, 'deleted'),
    # test_extend_share
    ('share.extend.start', EXTENDED, None),
    ('share.extend.end', EXTENDED, None),
    # test_shrink_share (without replication)
    ('share.shrink.start', SHRUNK, None),
    ('share.shrink.end', SHRUNK, None),
    # test_create_delete_share_instance_error: the driver's create and
    # delete raise, so neither ends (the delete.start says "error").
    ('share.create.start', FAILED, None),
    ('share.delete.start', FAILED, None),
]


def test_each_notification():
    messages = loader.messages('manila')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for index, (message, expected) in enumerate(zip(messages, EXPECTED)):
        record = loader.record(message)
        row = record.row
        _event_type, rid, state = expected
        assert (row['service'], row['host'], row['resource_type'],
                row['resource_id'], row['vm_state'], row['task_state'],
                row['project_id'], row['user_id']) == (
            'manila-share', 'fake_host', 'share', rid, state, None, 'fake',
            'fake'), index
        assert record.failure is None, index
        assert record.resource_ids is None, index


def test_the_services_are_services():
    for message in loader.messages('manila'):
        assert message['publisher_id'] == 'share.fake_host'
        assert loader.record(message).row['service'] == 'manila-share'


def test_a_backend_host_is_the_host():
    # manila-share's host is host@backend (its publisher id then
    # "share.stor-1@generic"): the whole of it is the host.
    message = copy.deepcopy(loader.messages('manila')[0])
    message['publisher_id'] = 'share.stor-1@generic'
    row = loader.record(message).row
    assert (row['service'], row['host']) == ('manila-share',
                                             'stor-1@generic')


def test_lifecycle(tmp_path):
    messages = loader.messages('manila')[:8]
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(message, start + datetime.timedelta(minutes=index))
            for index, message in enumerate(messages)])
        with database.reader() as connection:
            created = lifecycles.get_resource(connection, CREATED,
                                              now=loader.NOW)
            resources, _more = lifecycles.list_resources(
                connection, resource_type='share')
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (created['vm_state'], created['task_state'],
            created['state_event_type']) == ('deleted', None,
                                             'share.delete.end')
    # Its create (minutes 0-1) and delete (2-3), each a minute long.
    assert [(o['operation'], o['outcome'], o['duration_us'])
            for o in created['operations']] == [
        ('share.create', 'success', 60000000),
        ('share.delete', 'success', 60000000)]
    # Most recently seen first; only the deleted one has a state.
    assert [(r['resource_id'], r['vm_state']) for r in resources] == [
        (SHRUNK, None), (EXTENDED, None), (CREATED, 'deleted')]
    # Every operation ended.
    assert stuck == []


def test_a_share_whose_delete_failed_is_stuck(tmp_path):
    failed = loader.messages('manila')[8:]
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(failed[0], start)])
        with database.reader() as connection:
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
        # A create that did not end: stuck in it.
        assert [(i['resource_id'], i['operation']['operation'])
                for i in stuck] == [(FAILED, 'share.create')]
        pipeline.process([loader.at(
            failed[1], start + datetime.timedelta(minutes=5))])
        with database.reader() as connection:
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
        # Then a delete that did not end either: stuck in the delete.
        assert [(i['resource_id'], i['operation']['operation'])
                for i in stuck] == [(FAILED, 'share.delete')]
        # The delete.end of another share is no end of this one's.
        pipeline.process([loader.at(
            loader.messages('manila')[3],
            start + datetime.timedelta(minutes=6))])
        with database.reader() as connection:
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
        assert [i['resource_id'] for i in stuck] == [FAILED]
