"""Masakari's own notification samples (tests/fixtures/real/masakari.json):
what each becomes, a segment's lifecycle to its deletion, a notification
left before its processing is stuck, and a segment create that starts
before its segment has a uuid is not paired with another segment's
failure."""

import datetime

from stacktach_ng.pipeline import forms
from stacktach_ng.queries import lifecycles
from stacktach_ng.queries import timings
from tests.unit.pipeline.real import loader

SEGMENT = '89597691-bebd-4860-a93e-1b6e9de34b9e'
NEW_SEGMENT = '5cce639c-da08-4e78-b615-66c88aa49d50'
HOST = 'd6a2d900-1977-48fd-aa52-ad7a41fc068b'
DELETED_HOST = '3d8d1751-9cab-4a48-8801-96f102200077'
PROCESSED = '15505a8c-8856-4f3d-9747-55b6e899c0f5'
API = 'masakari-api'
ENGINE = 'masakari-engine'

# Per sample: (service, resource type, id, state, task state), read off the
# samples: the service is the publisher id's binary ("masakari-api:
# fake-mini"), the id the object's uuid (a notification's
# notification_uuid, never its database "id"); a create.start has none
# yet. Segments and hosts have no state: a delete.end is their deletion.
# A notification's state is its status: new and running are steps of its
# processing (its task state), ignored and finished are not.
EXPECTED = {
    'segment.create.start': (API, 'segment', None, None, None),
    'segment.create.end': (API, 'segment', NEW_SEGMENT, None, None),
    'segment.update.start': (API, 'segment', SEGMENT, None, None),
    'segment.update.end': (API, 'segment', SEGMENT, None, None),
    'segment.delete.start': (API, 'segment', SEGMENT, None, None),
    'segment.delete.end': (API, 'segment', SEGMENT, 'deleted', None),
    # error-exception.json: a create that failed, no uuid either.
    'segment.create.error': (API, 'segment', None, None, None),
    'host.create.start': (API, 'host', None, None, None),
    'host.create.end': (API, 'host', HOST, None, None),
    'host.update.start': (API, 'host', HOST, None, None),
    'host.update.end': (API, 'host', HOST, None, None),
    'host.delete.start': (API, 'host', DELETED_HOST, None, None),
    'host.delete.end': (API, 'host', DELETED_HOST, 'deleted', None),
    'notification.create.start': (API, 'notification', None, 'new', 'new'),
    'notification.create.end': (
        API, 'notification', 'e6b1996f-7792-4a65-83c3-23f2d4721eb0', 'new',
        'new'),
    'notification.process.start': (ENGINE, 'notification', PROCESSED, 'new',
                                   'new'),
    'notification.process.end': (ENGINE, 'notification', PROCESSED,
                                 'ignored', None),
    'notification.process.error': (
        ENGINE, 'notification', '0adb94e0-8283-4702-9793-186d4ed914e8',
        'running', 'running'),
}


def test_each_sample():
    messages = loader.messages('masakari')
    assert sorted(m['event_type'] for m in messages) == sorted(EXPECTED)
    for message in messages:
        row = loader.record(message).row
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state'], row['task_state']) == EXPECTED[
            message['event_type']], message['event_type']


def test_every_service_is_a_service_name():
    services = {loader.record(m).row['service']
                for m in loader.messages('masakari')}
    assert services == {API, ENGINE}


def test_a_segment_updated_then_deleted(tmp_path):
    by_type = loader.by_event_type('masakari')
    start = loader.NOW - datetime.timedelta(hours=1)
    steps = ['segment.update.start', 'segment.update.end',
             'segment.delete.start', 'segment.delete.end']
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(by_type[event_type],
                      start + datetime.timedelta(seconds=10 * index))
            for index, event_type in enumerate(steps)])
        with database.reader() as connection:
            segment = lifecycles.get_resource(connection, SEGMENT,
                                              now=loader.NOW)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
        assert (segment['resource_type'], segment['vm_state']) == (
            'segment', 'deleted')
        # Each start paired with its end, 10 s later.
        assert sorted((o['operation'], o['outcome'], o['duration_us'])
                      for o in segment['operations']) == [
            ('segment.delete', 'success', 10 * 1000000),
            ('segment.update', 'success', 10 * 1000000)]
        assert stuck == []


def test_a_notification_left_new_is_stuck(tmp_path):
    by_type = loader.by_event_type('masakari')
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            by_type['notification.process.start'], start)])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (PROCESSED, 'new')]
        # The engine ends it (ignored): no longer stuck.
        pipeline.process([loader.at(
            by_type['notification.process.end'],
            start + datetime.timedelta(seconds=1))])
        with database.reader() as connection:
            assert lifecycles.list_stuck(connection, now=loader.NOW)[0] == []
            notification = lifecycles.get_resource(connection, PROCESSED,
                                                   now=loader.NOW)
        assert notification['vm_state'] == 'ignored'


def test_a_create_start_without_uuid_is_not_paired(tmp_path):
    # The samples' own times: the segment "test" starts being created
    # (no uuid yet) at 09:25:12.393979 and is created, with its uuid, at
    # 09:25:12.813483; another segment's create fails (no uuid either) six
    # days later, 2018-11-28 14:24:27.902437. Paired by name alone, the
    # start and that failure made a 536,355 s operation.
    by_type = loader.by_event_type('masakari')
    messages = [forms.to_envelope(by_type[event_type]) for event_type in (
        'segment.create.start', 'segment.create.end',
        'segment.create.error')]
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process(messages)
        with database.reader() as connection:
            found, _more = timings.list_operations(
                connection, operation='segment.create',
                now=datetime.datetime(2018, 12, 1))
            stuck, _more = lifecycles.list_stuck(
                connection, now=datetime.datetime(2018, 12, 1))
    # No duration: the start opens nothing, the end and the failure are
    # each known by themselves.
    assert sorted((o['resource_id'] or '', o['outcome'], o['duration_us'])
                  for o in found) == [
        ('', 'error', None), (NEW_SEGMENT, 'success', None)]
    assert stuck == []
