"""Glance's own notifications (tests/fixtures/real/glance.json): what each
becomes, an image's and a task's lifecycle, and a task left pending is
stuck.

Glance's notifications are legacy ones (the payload is the image, member
or task as a dict), sent with the publisher id ``image.localhost``. An
image's statuses in these messages are all resting ones (active, queued):
glance's tests use stubs whose upload does not change the status. A task
has states: pending and processing are not terminal. The tests' Task stub
does not change its status on success, so task.success there still says
processing: the resource stays in that state (its payload is all there
is), until the task is deleted.
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

IMAGE = 'c80a1a6c-bd1f-41c5-90ee-81afedb1d58d'
# The task id glance's tests give their task.
TASK = 'aaa'

# Per message: (service, resource type, id, state), read off the payloads:
# service the publisher id's part before '.', the image's id (image_id in
# image.send and image.member.*), the task's id, the payload's status
# (image.send and image.member.* carry no image status: the member's
# 'accepted' is the membership's); a delete is 'deleted' whatever the
# payload's status (image.delete says active, task.delete pending, both
# with deleted: true).
EXPECTED = {
    'image.create': ('image', 'image', IMAGE, 'active'),
    'image.update': ('image', 'image', IMAGE, 'active'),
    'image.prepare': ('image', 'image', IMAGE, 'active'),
    'image.upload': ('image', 'image', IMAGE, 'queued'),
    'image.activate': ('image', 'image', IMAGE, 'queued'),
    'image.send': ('image', 'image', IMAGE, None),
    'image.delete': ('image', 'image', IMAGE, 'deleted'),
    'image.member.create': ('image', 'image', IMAGE, None),
    'task.create': ('image', 'task', TASK, 'pending'),
    'task.processing': ('image', 'task', TASK, 'processing'),
    'task.success': ('image', 'task', TASK, 'processing'),
    'task.delete': ('image', 'task', TASK, 'deleted'),
}
# The states a resource left in is stuck in.
NOT_TERMINAL = {'pending', 'processing'}


def test_each_notification():
    messages = loader.messages('glance')
    assert sorted(m['event_type'] for m in messages) == sorted(EXPECTED)
    for message in messages:
        record = loader.record(message)
        row = record.row
        service, rtype, rid, state = EXPECTED[message['event_type']]
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state']) == (service, rtype, rid, state), (
            message['event_type'])
        assert row['task_state'] == (state if state in NOT_TERMINAL
                                     else None), message['event_type']
        assert record.resource_ids is None


def test_services_are_services():
    for message in loader.messages('glance'):
        row = loader.record(message).row
        # 'image.localhost': the service, then the host.
        assert (row['service'], row['host']) == ('image', 'localhost')


def _dated(event_types, start):
    by_type = loader.by_event_type('glance')
    return loader.dated([by_type[t] for t in event_types], start)


def test_lifecycle_image_and_task(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process(_dated(
            ['task.create', 'task.processing', 'image.create',
             'image.prepare', 'image.upload', 'image.activate',
             'image.update', 'image.member.create', 'image.send',
             'task.success', 'task.delete', 'image.delete'], start))
        with database.reader() as connection:
            image = lifecycles.get_resource(connection, IMAGE,
                                            now=loader.NOW)
            task = lifecycles.get_resource(connection, TASK, now=loader.NOW)
            listed, _more = lifecycles.list_resources(connection)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (image['resource_type'], image['vm_state'],
            image['state_event_type']) == ('image', 'deleted',
                                           'image.delete')
    assert (task['resource_type'], task['vm_state'], task['task_state'],
            task['state_event_type']) == ('task', 'deleted', None,
                                          'task.delete')
    assert sorted((i['resource_id'], i['vm_state']) for i in listed) == [
        (TASK, 'deleted'), (IMAGE, 'deleted')]
    assert stuck == []


def test_a_task_left_pending_is_stuck(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process(_dated(['task.create'], start))
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (TASK, 'pending')]
        # Deleted later: no longer stuck.
        pipeline.process(_dated(['task.delete'],
                                start + datetime.timedelta(minutes=10)))
        assert loader.stuck(database) == []
