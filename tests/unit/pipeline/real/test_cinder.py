"""Cinder's own notifications (tests/fixtures/real/cinder.json): what each
becomes, a volume's lifecycle from creation through an extension to its
deletion, and a volume left creating or extending is stuck.

cinder's publisher id names the kind of resource (``snapshot.<host>``,
``group.<host>``): every message is the Block Storage service's, named
``volume`` as its volume notifications name it, never ``snapshot`` or
``group``.
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

VOLUME = '044c4469-29ed-4b17-872b-90baa65ee7b9'
SNAPSHOT = '1d236407-7095-46fd-b5f3-d879f1be7ace'
GROUP = 'e5b02c48-0c05-4122-99bc-b9b80b2d4ada'

# Per message: (resource type, id, state), read off the payloads: the
# event type's first part, its volume_id / snapshot_id / group_id, its
# status; a *.delete.end is 'deleted' (cinder's own says so here; on
# other paths cinder sends 'deleting' there).
EXPECTED = {
    'volume.create.start': ('volume', VOLUME, 'creating'),
    'volume.create.end': ('volume', VOLUME, 'available'),
    'volume.resize.start': ('volume', VOLUME, 'extending'),
    'volume.resize.end': ('volume', VOLUME, 'available'),
    'volume.delete.start': ('volume', VOLUME, 'available'),
    'volume.delete.end': ('volume', VOLUME, 'deleted'),
    'snapshot.create.start': ('snapshot', SNAPSHOT, 'creating'),
    'snapshot.create.end': ('snapshot', SNAPSHOT, 'available'),
    'snapshot.delete.start': ('snapshot', SNAPSHOT, 'available'),
    'snapshot.delete.end': ('snapshot', SNAPSHOT, 'deleted'),
    'group.create.start': ('group', GROUP, 'available'),
    'group.create.end': ('group', GROUP, 'available'),
    'group.delete.start': ('group', GROUP, 'available'),
    'group.delete.end': ('group', GROUP, 'deleted'),
}
# cinder's states a resource is busy in (creating, extending...): the
# others here are resting ones.
BUSY = {'creating', 'extending'}


def test_each_notification():
    messages = loader.messages('cinder')
    assert sorted(m['event_type'] for m in messages) == sorted(EXPECTED)
    for message in messages:
        record = loader.record(message)
        row = record.row
        rtype, rid, state = EXPECTED[message['event_type']]
        assert (row['resource_type'], row['resource_id'],
                row['vm_state']) == (rtype, rid, state), (
            message['event_type'])
        assert row['task_state'] == (state if state in BUSY else None), (
            message['event_type'])
        assert record.resource_ids is None


def test_services_are_services():
    for message in loader.messages('cinder'):
        row = loader.record(message).row
        # volume.localhost, snapshot.localhost, group.localhost.
        assert (row['service'], row['host']) == ('volume', 'localhost'), (
            message['event_type'])


def _dated(event_types, start):
    by_type = loader.by_event_type('cinder')
    return loader.dated([by_type[t] for t in event_types], start)


def test_lifecycle_create_extend_delete(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process(_dated(
            ['volume.create.start', 'volume.create.end',
             'volume.resize.start', 'volume.resize.end',
             'snapshot.create.start', 'snapshot.create.end',
             'group.create.start', 'group.create.end',
             'snapshot.delete.start', 'snapshot.delete.end',
             'volume.delete.start', 'volume.delete.end',
             'group.delete.start', 'group.delete.end'], start))
        with database.reader() as connection:
            volume = lifecycles.get_resource(connection, VOLUME,
                                             now=loader.NOW)
            listed, _more = lifecycles.list_resources(connection)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (volume['resource_type'], volume['vm_state'],
            volume['task_state'], volume['state_event_type']) == (
        'volume', 'deleted', None, 'volume.delete.end')
    assert sorted((i['resource_type'], i['vm_state']) for i in listed) == [
        ('group', 'deleted'), ('snapshot', 'deleted'), ('volume', 'deleted')]
    assert stuck == []


def test_a_volume_left_creating_or_extending_is_stuck(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process(_dated(['volume.create.start'], start))
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (VOLUME, 'creating')]
        # Created, then an extension that does not end: stuck extending.
        pipeline.process(_dated(['volume.create.end', 'volume.resize.start'],
                                start + datetime.timedelta(minutes=1)))
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (VOLUME, 'extending')]
        # Deleted: no longer stuck.
        pipeline.process(_dated(['volume.delete.start', 'volume.delete.end'],
                                start + datetime.timedelta(minutes=10)))
        assert loader.stuck(database) == []
