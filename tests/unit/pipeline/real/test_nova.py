"""Nova's own notifications (tests/fixtures/real/nova.json): its
versioned samples and the legacy notifications of two of its unit tests.
What each becomes, an instance's lifecycle from boot to deletion in both
forms, and an instance left scheduling, or in a legacy snapshot that
never ended, is stuck."""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

INSTANCE = '178b0921-8f85-4257-88b6-2e743b5a975c'
# The instances of the legacy messages: booted then deleted, and
# snapshotted.
LEGACY = '1411ee24-f2ae-4027-9212-a5a220e7e84f'
SNAPSHOTTED = '2f97f406-c11e-4f14-b848-e375ceccbbcb'

# Per sample: (service, resource type, id, vm_state, task_state), read off
# the samples: the service is the publisher id's part before ':'; the id
# the versioned object's uuid (flavorid for a flavor, name for a keypair,
# the request spec's instance uuid for a conductor task); vm_state and
# task_state the instance payload's state and task_state, except for
# instance.update, whose state_update object says the instance is still
# building (its payload's own state is the sample's stale "active").
EXPECTED = {
    'instance.create.start': (
        'nova-compute', 'instance', INSTANCE, 'building', None),
    'instance.update': (
        'nova-compute', 'instance', INSTANCE, 'building', 'scheduling'),
    'instance.create.end': (
        'nova-compute', 'instance', INSTANCE, 'active', None),
    'instance.power_off.start': (
        'nova-compute', 'instance', INSTANCE, 'active', 'powering-off'),
    'instance.power_off.end': (
        'nova-compute', 'instance', INSTANCE, 'stopped', None),
    'instance.delete.start': (
        'nova-compute', 'instance', INSTANCE, 'active', 'deleting'),
    'instance.delete.end': (
        'nova-compute', 'instance', INSTANCE, 'deleted', None),
    'instance.create.error': (
        'nova-compute', 'instance', INSTANCE, 'building', None),
    'aggregate.create.start': (
        'nova-api', 'aggregate', '788608ec-ebdc-45c5-bc7f-e5f24ab92c80',
        None, None),
    'aggregate.create.end': (
        'nova-api', 'aggregate', '788608ec-ebdc-45c5-bc7f-e5f24ab92c80',
        None, None),
    'keypair.create.end': ('nova-api', 'keypair', 'my-key', None, None),
    'flavor.create': (
        'nova-api', 'flavor', 'a22d5517-147c-4147-a0d1-e698df5cd4e3', None,
        None),
    'service.update': (
        'nova-compute', 'service', 'fa69c544-906b-4a6a-a9c6-c1f7a8078c73',
        None, None),
    'server_group.create': (
        'nova-api', 'server_group', '788608ec-ebdc-45c5-bc7f-e5f24ab92c80',
        None, None),
    # The conductor could not schedule the instance: the request spec's
    # instance uuid, and the ERROR state the conductor put it in.
    'compute_task.build_instances.error': (
        'nova-conductor', 'instance', 'd5e6a7b7-80e5-4166-85a3-cd6115201082',
        'error', None),
    # Legacy: publisher compute.fake-mini (nova's short prefix of
    # nova-compute), instance_id, state, state_description (the task
    # state, empty for none).
    'compute.instance.create.start': (
        'nova-compute', 'instance', LEGACY, 'building', None),
    'compute.instance.create.end': (
        'nova-compute', 'instance', LEGACY, 'active', None),
    'compute.instance.delete.start': (
        'nova-compute', 'instance', LEGACY, 'active', None),
    'compute.instance.shutdown.start': (
        'nova-compute', 'instance', LEGACY, 'active', None),
    'compute.instance.shutdown.end': (
        'nova-compute', 'instance', LEGACY, 'active', None),
    'compute.instance.delete.end': (
        'nova-compute', 'instance', LEGACY, 'deleted', None),
    'compute.instance.snapshot.start': (
        'nova-compute', 'instance', SNAPSHOTTED, 'active', 'image_snapshot'),
    'compute.instance.snapshot.end': (
        'nova-compute', 'instance', SNAPSHOTTED, 'active', None),
}

# The hosts of the samples' publisher ids (after the ':').
HOSTS = {'compute', 'fake-mini', 'host1'}


def test_each_sample():
    messages = loader.messages('nova')
    assert sorted(m['event_type'] for m in messages) == sorted(EXPECTED)
    for message in messages:
        record = loader.record(message)
        row = record.row
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state'], row['task_state']) == EXPECTED[
                    message['event_type']], message['event_type']
        # No sample names several resources.
        assert record.resource_ids is None


def test_services_are_services():
    for message in loader.messages('nova'):
        row = loader.record(message).row
        assert row['service'] in ('nova-compute', 'nova-api',
                                  'nova-conductor'), message['event_type']
        assert row['host'] in HOSTS


def _boot_to_delete():
    by_type = loader.by_event_type('nova')
    return [by_type[event_type] for event_type in (
        'instance.create.start', 'instance.update', 'instance.create.end',
        'instance.power_off.start', 'instance.power_off.end',
        'instance.delete.start', 'instance.delete.end')]


def test_lifecycle_boot_power_off_delete(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process(loader.dated(_boot_to_delete(), start))
        with database.reader() as connection:
            resource = lifecycles.get_resource(connection, INSTANCE,
                                               now=loader.NOW)
            listed, _more = lifecycles.list_resources(
                connection, resource_type='instance')
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (resource['resource_type'], resource['vm_state'],
            resource['task_state']) == ('instance', 'deleted', None)
    assert resource['state_event_type'] == 'instance.delete.end'
    # Each start met its end, one minute apart as dated above.
    assert sorted((o['operation'], o['outcome'], o['duration_us'])
                  for o in resource['operations']) == [
        ('instance.create', 'success', 120000000),
        ('instance.delete', 'success', 60000000),
        ('instance.power_off', 'success', 60000000)]
    assert [(i['resource_id'], i['vm_state']) for i in listed] == [
        (INSTANCE, 'deleted')]
    assert stuck == []


def test_an_instance_left_scheduling_is_stuck(tmp_path):
    by_type = loader.by_event_type('nova')
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(by_type['instance.create.start'], start),
            loader.at(by_type['instance.update'],
                      start + datetime.timedelta(seconds=5))])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (INSTANCE, 'scheduling')]
        # The boot ends later: no longer stuck.
        pipeline.process([loader.at(by_type['instance.create.end'],
                                    start + datetime.timedelta(minutes=3))])
        assert loader.stuck(database) == []


def test_legacy_lifecycle_boot_to_delete(tmp_path):
    by_type = loader.by_event_type('nova')
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(by_type[event_type],
                      start + datetime.timedelta(minutes=i))
            for i, event_type in enumerate((
                'compute.instance.create.start',
                'compute.instance.create.end',
                'compute.instance.delete.start',
                'compute.instance.shutdown.start',
                'compute.instance.shutdown.end',
                'compute.instance.delete.end'))])
        with database.reader() as connection:
            resource = lifecycles.get_resource(connection, LEGACY,
                                               now=loader.NOW)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (resource['vm_state'], resource['task_state'],
            resource['state_event_type']) == (
        'deleted', None, 'compute.instance.delete.end')
    # The boot took a minute; the delete (its shutdown a step of it) three.
    assert sorted((o['operation'], o['outcome'], o['duration_us'])
                  for o in resource['operations']
                  if o['operation'] != 'instance.shutdown') == [
        ('instance.create', 'success', 60000000),
        ('instance.delete', 'success', 180000000)]
    assert stuck == []


def test_a_legacy_snapshot_that_never_ends_is_stuck(tmp_path):
    by_type = loader.by_event_type('nova')
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            by_type['compute.instance.snapshot.start'], start)])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state'],
                 i['operation']['operation']) for i in stuck] == [
            (SNAPSHOTTED, 'image_snapshot', 'instance.snapshot')]
        pipeline.process([loader.at(
            by_type['compute.instance.snapshot.end'],
            start + datetime.timedelta(minutes=2))])
        assert loader.stuck(database) == []
