"""Neutron's own documented notifications (tests/fixtures/real/neutron.json):
what each becomes, a network's lifecycle, a bulk port create, and an
operation left open is stuck.

Neutron's resources have a status but no state that is an operation in
progress (every status is terminal): what is stuck is an operation that
started and never ended. A ``create.start`` carries the request body, with
no id yet: it names no resource, so a create that never ended cannot be
listed as a stuck resource (nothing says which port it would have been).
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

NETWORK = '9eaa96ed-c2d2-45a7-a6d5-5f276a3a1b54'
PORT = '42a5e466-2c4e-4c58-b357-8b2459891066'
# The two ports of the api-ref's bulk create response, in its order.
BULK_PORTS = ('94225baa-9d3f-4b93-bf12-b41e7ce49cdb',
              '235b09e0-63c4-47f1-b221-66ba54c21760')

# Per message, in the file's order: (event type, service, resource type,
# id, state, deleted). The service is the publisher's prefix (neutron's
# notifier is get_notifier('network'): "network.myhost"); the state is
# the resource's "status", or 'deleted' on a delete.end.
EXPECTED = [
    # The request body: {"network": {"name": ..., "admin_state_up": ...}},
    # no id, no status.
    ('network.create.start', 'network', 'network', None, None, False),
    # The response: network.id, network.status ACTIVE.
    ('network.create.end', 'network', 'network', NETWORK, 'ACTIVE', False),
    # The body plus the top-level "id" of the network updated.
    ('network.update.start', 'network', 'network', NETWORK, None, False),
    # {"network_id": ...} only.
    ('network.delete.start', 'network', 'network', NETWORK, None, False),
    # network_id and the network as it was (status ACTIVE): deleted.
    ('network.delete.end', 'network', 'network', NETWORK, 'deleted', True),
    # The document's complete message: port.id, port.status ACTIVE.
    ('port.update.end', 'network', 'port', PORT, 'ACTIVE', False),
    # The bulk request body {"ports": [...]}: no ids.
    ('port.create.start', 'network', 'port', None, None, False),
    # The bulk response {"ports": [...]}: the row holds the first port,
    # whose status is DOWN.
    ('port.create.end', 'network', 'port', BULK_PORTS[0], 'DOWN', False),
]


def test_each_documented_notification():
    messages = loader.messages('neutron')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for message, expected in zip(messages, EXPECTED):
        row = loader.record(message).row
        event_type, service, rtype, rid, state, deleted = expected
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state']) == (service, rtype, rid, state), event_type
        assert (row['vm_state'] == 'deleted') is deleted, event_type
        # No neutron status is an operation in progress.
        assert row['task_state'] is None, event_type


def test_a_bulk_create_names_every_port():
    end = loader.by_event_type('neutron')['port.create.end']
    assert loader.record(end).resource_ids == BULK_PORTS
    start = loader.by_event_type('neutron')['port.create.start']
    assert loader.record(start).resource_ids is None


def test_the_services_are_services():
    for message in loader.messages('neutron'):
        assert loader.record(message).row['service'] == 'network'


def _all_in_order(pipeline):
    start = loader.NOW - datetime.timedelta(hours=2)
    for index, message in enumerate(loader.messages('neutron')):
        pipeline.process([loader.at(
            message, start + datetime.timedelta(minutes=index))])


def test_lifecycle(tmp_path):
    with loader.pipeline(tmp_path) as (pipeline, database):
        _all_in_order(pipeline)
        with database.reader() as connection:
            network = lifecycles.get_resource(connection, NETWORK,
                                              now=loader.NOW)
            resources, _more = lifecycles.list_resources(connection)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (network['resource_type'], network['vm_state']) == (
        'network', 'deleted')
    # Its update never ended (the document shows no update.end) but the
    # network was deleted since: the update is what is left open.
    assert [o['operation'] for o in network['operations']
            if o['ended_at'] is None] == ['network.update']
    # Both ports of the bulk create are resources, with the status the
    # response gives them.
    found = {r['resource_id']: (r['resource_type'], r['vm_state'])
             for r in resources}
    assert found == {NETWORK: ('network', 'deleted'),
                     PORT: ('port', 'ACTIVE'),
                     BULK_PORTS[0]: ('port', 'DOWN'),
                     BULK_PORTS[1]: ('port', 'DOWN')}
    # The update left open started before the network was reported
    # deleted: nothing is stuck.
    assert stuck == []


def test_a_delete_that_never_ended_is_stuck(tmp_path):
    by_type = loader.by_event_type('neutron')
    with loader.pipeline(tmp_path) as (pipeline, database):
        start = loader.NOW - datetime.timedelta(hours=1)
        pipeline.process([loader.at(by_type['network.create.end'], start)])
        pipeline.process([loader.at(
            by_type['network.delete.start'],
            start + datetime.timedelta(minutes=1))])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['operation']['operation'])
                for i in stuck] == [(NETWORK, 'network.delete')]
        # The delete ends: the network is gone, not stuck.
        pipeline.process([loader.at(
            by_type['network.delete.end'],
            start + datetime.timedelta(minutes=2))])
        assert loader.stuck(database) == []


def test_a_create_start_without_id_is_no_stuck_resource(tmp_path):
    by_type = loader.by_event_type('neutron')
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            by_type['port.create.start'],
            loader.NOW - datetime.timedelta(hours=1))])
        with database.reader() as connection:
            assert lifecycles.list_stuck(connection, now=loader.NOW)[0] == []
            assert lifecycles.list_resources(connection)[0] == []
