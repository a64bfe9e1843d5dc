"""Ironic's own documented notifications (tests/fixtures/real/ironic.json):
what each becomes, and a node left deploying is stuck."""

import datetime

from tests.unit.pipeline.real import loader

# Per message of ironic's documentation: (service, resource type, id,
# state), read off the document's payloads.
EXPECTED = {
    'baremetal.chassis.update.end': (
        'ironic-api', 'baremetal_chassis',
        '1910f669-ce8b-43c2-b1d8-cf3d65be815e', None),
    'baremetal.deploy_template.update.end': (
        'ironic-api', 'baremetal_deploy_template',
        '1910f669-ce8b-43c2-b1d8-cf3d65be815e', None),
    'baremetal.node.update.end': (
        'ironic-api', 'node', '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
        'deploying'),
    'baremetal.port.update.end': (
        'ironic-api', 'baremetal_port',
        '1be26c0b-03f2-4d2e-ae87-c02d7f33c123', None),
    'baremetal.portgroup.update.end': (
        'ironic-api', 'baremetal_portgroup',
        'db033a40-bfed-4c84-815a-3db26bb268bb', None),
    'baremetal.volumeconnector.update.end': (
        'ironic-api', 'baremetal_volume_connector',
        '19b9f3ab-4754-4725-a7a4-c43ea7e57360', None),
    'baremetal.node.maintenance_set.start': (
        'ironic-api', 'node', '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
        'available'),
    'baremetal.node.console_set.end': (
        'ironic-conductor', 'node', '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
        'available'),
    'baremetal.node.power_state_corrected.success': (
        'ironic-conductor', 'node', '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
        'available'),
    'baremetal.node.provision_set.start': (
        'ironic-conductor', 'node', '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
        'deploying'),
}


def test_each_documented_notification():
    messages = loader.messages('ironic')
    assert sorted(m['event_type'] for m in messages) == sorted(EXPECTED)
    for message in messages:
        row = loader.record(message).row
        service, rtype, rid, state = EXPECTED[message['event_type']]
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state']) == (service, rtype, rid, state), (
            message['event_type'])
        assert row['vm_state'] != 'deleted'


def test_a_node_left_deploying_is_stuck(tmp_path):
    by_type = loader.by_event_type('ironic')
    with loader.pipeline(tmp_path) as (pipeline, database):
        start = loader.NOW - datetime.timedelta(hours=1)
        pipeline.process([loader.at(
            by_type['baremetal.node.provision_set.start'], start)])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            ('1be26c0b-03f2-4d2e-ae87-c02d7f33c123', 'deploying')]
        # Later, the node is available again: no longer stuck.
        pipeline.process([loader.at(
            by_type['baremetal.node.console_set.end'],
            start + datetime.timedelta(minutes=20))])
        assert loader.stuck(database) == []
