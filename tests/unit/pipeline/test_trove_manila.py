"""Trove's notifications, written for these tests.

These payloads have the keys and the publisher ids trove's code sends:
trove/common/notification.py (TroveBaseTraits, TroveCommonTraits,
DBaaSAPINotification) and trove/rpc.py get_notifier. The values are made
up: trove's own unit tests give one real message only (a
trove.instance.modify_flavor, tests/unit/pipeline/real/test_trove.py),
the others hand its notification code mocks. (Manila's notifications
are real ones now: tests/unit/pipeline/real/test_manila.py.)
"""

import pytest

from tests.unit.pipeline.real import loader

TROVE_INSTANCE = '7e2ac3b4-56d1-4c9b-a8f0-2d3e4f5a6b71'
NOVA_SERVER = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'
PROJECT = 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'


def _trove_instance(event_type, state, publisher_id):
    # TroveBaseTraits' payload (with TroveCommonTraits' additions);
    # trove.instance.* is published with the host as the publisher id.
    return {'priority': 'INFO', 'event_type': event_type,
            'publisher_id': publisher_id,
            'payload': {
                'created_at': '2026-01-02T03:04:05Z', 'name': 'db-1',
                'instance_id': TROVE_INSTANCE, 'instance_name': 'db-1',
                'instance_type_id': '7', 'launched_at':
                '2026-01-02T03:04:05Z', 'nova_instance_id': NOVA_SERVER,
                'region': 'RegionOne', 'state_description': state,
                'state': state, 'tenant_id': PROJECT, 'user_id': 'u-1',
                'instance_size': 2048, 'availability_zone': 'nova',
                'instance_type': 'm1.small', 'service_id': '123'}}


@pytest.mark.parametrize('publisher_id,host', [
    ('trove-1', 'trove-1'),
    # A domain name is a host whole, not a service "ctl-1".
    ('ctl-1.example.com', 'ctl-1.example.com'),
])
@pytest.mark.parametrize('event_type,state,vm_state', [
    ('trove.instance.create', 'active', 'active'),
    ('trove.instance.modify_flavor', 'active', 'active'),
    ('trove.instance.exists', 'shutdown', 'shutdown'),
    # The state the instance had; the event says it is gone.
    ('trove.instance.delete', 'shutdown', 'deleted'),
])
def test_a_trove_instance(publisher_id, host, event_type, state, vm_state):
    row = loader.record(_trove_instance(event_type, state,
                                        publisher_id)).row
    assert (row['service'], row['host'], row['resource_type'],
            row['resource_id'], row['vm_state'], row['task_state'],
            row['project_id']) == (
        'trove', host, 'trove_instance', TROVE_INSTANCE, vm_state, None,
        PROJECT)


@pytest.mark.parametrize('event_type,publisher_id,extra,service,rid', [
    # DBaaSAPINotification: the publisher is <server_type>.<host>; a
    # create's start has no instance id, its end has.
    ('dbaas.instance_create.start', 'api.trove-1',
     {'name': 'db-1', 'flavor_id': '7', 'datastore': 'mysql'},
     'trove-api', None),
    ('dbaas.instance_create.end', 'taskmanager.trove-1',
     {'instance_id': TROVE_INSTANCE}, 'trove-taskmanager',
     TROVE_INSTANCE),
    ('dbaas.instance_restart.start', 'conductor.trove-1',
     {'instance_id': TROVE_INSTANCE}, 'trove-conductor', TROVE_INSTANCE),
])
def test_a_trove_api_call(event_type, publisher_id, extra, service, rid):
    payload = {'request_id': 'req-1', 'server_type': 'api',
               'client_ip': '192.0.2.10', 'server_ip': '192.0.2.1',
               'tenant_id': PROJECT}
    payload.update(extra)
    row = loader.record({'priority': 'INFO', 'event_type': event_type,
                         'publisher_id': publisher_id,
                         'payload': payload}).row
    assert (row['service'], row['host'], row['resource_type'],
            row['resource_id'], row['project_id']) == (
        service, 'trove-1', 'trove_instance', rid, PROJECT)


def test_trove_s_quota_event_is_published_by_the_host():
    # DBaaSQuotas: the publisher id is the host alone.
    row = loader.record({
        'priority': 'INFO', 'event_type': 'dbaas.quota',
        'publisher_id': 'trove-1',
        'payload': {'resource': 'instances', 'in_use': 1, 'reserved': 0,
                    'limit': 5, 'updated': '2026-01-02T03:04:05'}}).row
    assert (row['service'], row['host']) == ('trove', 'trove-1')

