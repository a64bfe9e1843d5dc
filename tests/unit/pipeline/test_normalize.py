"""Normalization per producer and per input form."""

import datetime

import pytest

from stacktach_ng.common import jsonutils
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline.rejection import Rejected
from tests.unit.pipeline import fixtures as fx

RECEIVED = datetime.datetime(2026, 1, 2, 3, 5, 0)
GENERATED = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)


def _normalize(obj):
    return normalize.normalize(forms.to_envelope(obj), RECEIVED).row


# builder -> the fields its notification must normalize to.
EXPECTED = [
    # Legacy nova prefixes name the binary, as the versioned ids do.
    (fx.nova_legacy_update, {
        'service': 'nova-compute', 'host': 'cmp-01.example.org',
        'resource_type': 'instance', 'resource_id': fx.INSTANCE,
        'project_id': fx.PROJECT, 'user_id': fx.USER,
        'request_id': fx.REQUEST, 'vm_state': 'building',
        'old_vm_state': 'building', 'task_state': 'block_device_mapping',
        'old_task_state': 'networking', 'object_name': None}),
    (fx.nova_legacy_create_end, {
        'resource_type': 'instance', 'resource_id': fx.INSTANCE,
        'vm_state': 'active', 'task_state': None, 'host': 'cmp-01'}),
    (fx.nova_legacy_error, {
        'priority': 'ERROR', 'resource_type': 'instance',
        'resource_id': fx.INSTANCE, 'event_type': 'snapshot_instance'}),
    (fx.nova_legacy_scheduler, {
        'service': 'nova-scheduler', 'host': 'sch-01',
        'resource_type': 'instance', 'resource_id': fx.INSTANCE}),
    (fx.nova_versioned_update, {
        'service': 'nova-compute', 'host': 'cmp-01.example.org',
        'resource_type': 'instance', 'resource_id': fx.INSTANCE,
        'project_id': fx.PROJECT, 'user_id': fx.USER,
        'request_id': fx.NOVA_REQUEST, 'vm_state': 'building',
        'old_vm_state': 'building', 'task_state': 'networking',
        # unreliable in real traffic, stored as given
        'old_task_state': 'networking', 'power_state': 'pending',
        'object_name': 'InstanceUpdatePayload', 'object_version': '2.1'}),
    (fx.nova_versioned_action, {
        'resource_type': 'instance', 'resource_id': fx.INSTANCE,
        'request_id': fx.NOVA_REQUEST, 'vm_state': 'active',
        'task_state': None, 'power_state': 'running',
        'object_name': 'InstanceCreatePayload', 'object_version': '1.13'}),
    (fx.nova_versioned_initiator_only, {
        'resource_type': 'aggregate', 'resource_id': 'agg-uuid',
        'project_id': fx.CALLER_PROJECT, 'user_id': 'admin-user',
        'service': 'nova-api', 'host': 'api-01'}),
    (fx.glance_image_upload, {
        'service': 'image', 'host': 'localhost', 'resource_type': 'image',
        'resource_id': fx.IMAGE, 'project_id': fx.PROJECT,
        'request_id': None, 'global_request_id': None, 'user_id': None}),
    (fx.glance_member_create, {
        'resource_type': 'image', 'resource_id': fx.IMAGE}),
    (fx.cinder_volume_create, {
        'service': 'volume', 'host': 'stor-01@lvm',
        'resource_type': 'volume', 'resource_id': fx.VOLUME,
        'project_id': fx.PROJECT, 'request_id': fx.REQUEST,
        'global_request_id': fx.NOVA_REQUEST}),
    (fx.cinder_snapshot_create, {
        'resource_type': 'snapshot', 'resource_id': fx.SNAPSHOT}),
    (fx.neutron_port_create, {
        'service': 'network', 'resource_type': 'port',
        'resource_id': fx.PORT, 'project_id': fx.PROJECT,
        'global_request_id': fx.NOVA_REQUEST}),
    (fx.neutron_port_delete, {
        'resource_type': 'port', 'resource_id': fx.PORT,
        # no owner in the payload: the caller
        'project_id': fx.CALLER_PROJECT}),
    (fx.neutron_bulk_network_create, {
        'resource_type': 'network', 'resource_id': fx.NETWORK}),
    (fx.neutron_router_interface, {
        'resource_type': 'router', 'resource_id': fx.ROUTER}),
    (fx.neutron_floatingip_update_start, {
        'resource_type': 'floatingip', 'resource_id': 'fip-1'}),
    (fx.neutron_security_group, {
        'resource_type': 'security_group', 'resource_id': 'sg-1'}),
    (fx.neutron_subnet_create, {
        'resource_type': 'subnet', 'resource_id': 'subnet-1',
        'project_id': fx.PROJECT}),
    # The user who authenticates, not the target: keystone makes a new
    # target id for each authentication.
    (fx.keystone_cadf_authenticate, {
        'service': 'identity', 'host': 'ks-01', 'resource_type': 'user',
        'resource_id': fx.USER, 'user_id': fx.USER,
        'request_id': fx.REQUEST}),
    (fx.keystone_project_created, {
        'resource_type': 'project', 'resource_id': 'proj-42'}),
    (fx.keystone_role_assignment, {
        'resource_type': 'role_assignment', 'project_id': fx.PROJECT}),
    (fx.heat_stack_create, {
        'service': 'orchestration', 'resource_type': 'stack',
        'resource_id': fx.STACK, 'project_id': fx.PROJECT}),
    # central.dns-01: designate's central, named after its binary.
    (fx.designate_zone_create, {
        'service': 'designate-central', 'resource_type': 'zone',
        'resource_id': fx.ZONE, 'project_id': fx.PROJECT,
        'user_id': fx.USER}),
    (fx.designate_recordset_create, {
        'resource_type': 'recordset', 'resource_id': 'rs-1'}),
    (fx.ironic_power_set, {
        'service': 'ironic-conductor', 'host': 'bm-01',
        'resource_type': 'node', 'resource_id': fx.NODE,
        'project_id': fx.PROJECT, 'power_state': 'power on',
        'vm_state': 'active', 'object_name': 'NodeSetPowerStatePayload'}),
    (fx.unknown_service, {
        'service': 'widgetd', 'host': 'host-9', 'resource_type': 'widget',
        'resource_id': 'w-1', 'project_id': fx.PROJECT}),
]


@pytest.mark.parametrize('form', ('wire_v1', 'wire_v2', 'listener'))
@pytest.mark.parametrize('builder,expected', EXPECTED,
                         ids=[b.__name__ for b, _ in EXPECTED])
def test_fields(builder, expected, form):
    message = builder()
    row = _normalize(fx.as_form(message, form))
    assert row['message_id'] == message['message_id']
    assert row['event_type'] == message['event_type']
    assert row['priority'] == message['priority']
    assert row['generated_at'] == GENERATED
    assert row['received_at'] == RECEIVED
    for name, value in expected.items():
        assert row[name] == value, name


@pytest.mark.parametrize('builder', fx.ALL_BUILDERS,
                         ids=[b.__name__ for b in fx.ALL_BUILDERS])
def test_every_form_gives_the_same_row(builder):
    message = builder()
    rows = [_normalize(fx.as_form(message, form))
            for form in ('wire_v1', 'wire_v2', 'listener')]
    assert rows[0] == rows[1] == rows[2]


@pytest.mark.parametrize('builder', fx.ALL_BUILDERS,
                         ids=[b.__name__ for b in fx.ALL_BUILDERS])
def test_sample_form_keeps_payload_facts(builder):
    """nova's sample form has no context, id or time: what the payload
    says is still extracted, and the id is derived from the content."""
    message = builder()
    full = _normalize(fx.as_form(message, 'wire_v1'))
    sample = _normalize(fx.as_form(message, 'sample'))
    assert sample['generated_at'] == RECEIVED
    assert sample['context'] == '{}'
    assert sample['message_id'] == _normalize(
        fx.as_form(message, 'sample'))['message_id']
    assert sample['message_id'] != full['message_id']
    for name in ('resource_type', 'resource_id', 'vm_state', 'task_state',
                 'object_name', 'object_version', 'service', 'host'):
        assert sample[name] == full[name], name


def test_deterministic_id_depends_on_content():
    first = fx.as_form(fx.nova_versioned_action(), 'sample')
    second = fx.as_form(fx.nova_versioned_action('instance.delete.end'),
                        'sample')
    assert _normalize(first)['message_id'] != _normalize(
        second)['message_id']


@pytest.mark.parametrize('publisher,service,host', [
    ('compute.host1', 'compute', 'host1'),
    ('nova-compute:host1', 'nova-compute', 'host1'),
    ('compute.host1.example.org', 'compute', 'host1.example.org'),
    ('nova-compute:host1.example.org', 'nova-compute', 'host1.example.org'),
    ('image.localhost', 'image', 'localhost'),
    ('volume.host@backend', 'volume', 'host@backend'),
    ('volume.host.example.org@lvm#pool', 'volume',
     'host.example.org@lvm#pool'),
    ('ceilometermiddleware', 'ceilometermiddleware', None),
    ('', None, None),
    (None, None, None),
])
def test_split_publisher(publisher, service, host):
    assert normalize.split_publisher(publisher) == (service, host)


@pytest.mark.parametrize('timestamp,expected', [
    ('2016-03-07 16:23:09.259310', datetime.datetime(2016, 3, 7, 16, 23, 9,
                                                     259310)),
    ('2016-03-07 16:23:09', datetime.datetime(2016, 3, 7, 16, 23, 9)),
    ('2012-10-29T13:42:11Z', datetime.datetime(2012, 10, 29, 13, 42, 11)),
    ('2012-10-29T13:42:11.000000+00:00',
     datetime.datetime(2012, 10, 29, 13, 42, 11)),
    ('2012-10-29 13:42:11.000000', datetime.datetime(2012, 10, 29, 13, 42,
                                                     11)),
    ('2025-03-27T17:09:37.318590+0000',
     datetime.datetime(2025, 3, 27, 17, 9, 37, 318590)),
    ('2016-03-07T18:23:09+02:00', datetime.datetime(2016, 3, 7, 16, 23, 9)),
    ('2016-03-07T11:23:09-05:00', datetime.datetime(2016, 3, 7, 16, 23, 9)),
])
def test_timestamps_stored_as_naive_utc(timestamp, expected):
    message = fx.glance_image_upload()
    message['timestamp'] = timestamp
    row = _normalize(fx.as_form(message, 'wire_v2'))
    assert row['generated_at'] == expected
    assert row['generated_at'].tzinfo is None


@pytest.mark.parametrize('timestamp', [
    '', None, 'garbage', '2015-09-24 12:47:.634363', '0001-01-01 00:00:00'])
def test_unreadable_timestamp_falls_back(timestamp):
    message = fx.nova_legacy_update()
    message['timestamp'] = timestamp
    row = _normalize(fx.as_form(message, 'wire_v1'))
    # the context's time, then the time of receipt
    assert row['generated_at'] == datetime.datetime(2026, 1, 2, 3, 4)
    message['ctxt'].pop('timestamp')
    row = _normalize(fx.as_form(message, 'wire_v1'))
    assert row['generated_at'] == RECEIVED


def test_project_is_the_owner_before_the_caller():
    row = _normalize(fx.as_form(fx.nova_legacy_update(), 'wire_v1'))
    assert row['project_id'] == fx.PROJECT != fx.CALLER_PROJECT
    message = fx.nova_legacy_update()
    del message['payload']['tenant_id']
    row = _normalize(fx.as_form(message, 'wire_v1'))
    assert row['project_id'] == fx.CALLER_PROJECT


def test_legacy_task_state_from_state_description():
    message = fx.nova_legacy_create_end()
    message['payload']['state_description'] = 'spawning'
    row = _normalize(fx.as_form(message, 'wire_v1'))
    assert row['task_state'] == 'spawning'
    assert row['old_task_state'] is None


def test_list_payload_is_stored_not_rejected():
    message = fx.unknown_service()
    message['payload'] = [{'counter_name': 'cpu', 'resource_id': 'r1'}]
    record = normalize.normalize(
        forms.to_envelope(fx.as_form(message, 'listener')), RECEIVED)
    assert jsonutils.loads(record.row['payload']) == message['payload']
    assert record.payload == {}
    assert record.row['resource_id'] is None


@pytest.mark.parametrize('mutate,reason', [
    (lambda m: m.pop('event_type'), 'missing or invalid event_type'),
    (lambda m: m.update(event_type=''), 'missing or invalid event_type'),
    (lambda m: m.update(event_type=42), 'missing or invalid event_type'),
    (lambda m: m.update(event_type='x' * 300), 'event_type longer'),
    (lambda m: m.update(priority='LOUD'), 'unknown priority'),
])
def test_poison_is_rejected(mutate, reason):
    body = fx.as_form(fx.glance_image_upload(), 'wire_v1')
    mutate(body)
    with pytest.raises(Rejected) as error:
        _normalize(body)
    assert error.value.reason.startswith(reason)


def test_absurd_size_is_rejected():
    message = fx.glance_image_upload()
    message['payload']['blob'] = 'x' * 5000
    envelope = forms.to_envelope(fx.as_form(message, 'wire_v1'))
    with pytest.raises(Rejected) as error:
        normalize.normalize(envelope, RECEIVED, max_size=4096)
    assert 'max_message_size' in error.value.reason
    assert normalize.normalize(envelope, RECEIVED, max_size=10000)


def test_long_message_id_is_bounded_and_stable():
    message = fx.glance_image_upload()
    message['message_id'] = 'x' * 500
    first = _normalize(fx.as_form(message, 'wire_v1'))['message_id']
    assert len(first) <= 128
    assert first == _normalize(fx.as_form(message, 'wire_v1'))['message_id']


def test_text_columns_are_storable_everywhere():
    """NUL characters and lone surrogates never reach a text column."""
    message = fx.unknown_service()
    message['publisher_id'] = 'widgetd.host\x00-9'
    message['payload']['widget']['id'] = 'w\ud800-1'
    message['payload']['note'] = 'bad \ud800 text'
    row = _normalize(fx.as_form(message, 'listener'))
    assert row['host'] == 'host-9'
    for value in row.values():
        if isinstance(value, str):
            assert '\x00' not in value
            value.encode('utf-8')


def test_structured_values_are_not_ids():
    message = fx.glance_image_upload()
    message['payload']['id'] = {'nested': True}
    message['payload']['owner'] = ['a', 'b']
    row = _normalize(fx.as_form(message, 'wire_v1'))
    assert row['resource_id'] is None
    assert row['project_id'] is None


@pytest.mark.parametrize('publisher_id,event_type,service', [
    ('compute.cmp-01', 'compute.instance.update', 'nova-compute'),
    ('nova-compute:cmp-01', 'instance.update', 'nova-compute'),
    ('conductor.c-01', 'compute.instance.update', 'nova-conductor'),
    ('compute_task.c-01', 'compute_task.build_instances', 'nova-conductor'),
    ('nova-conductor:c-01', 'compute_task.build_instances.error',
     'nova-conductor'),
    ('scheduler.s-01', 'scheduler.select_destinations.end',
     'nova-scheduler'),
    # cinder's scheduler shares the legacy prefix: not nova's.
    ('scheduler.s-01', 'scheduler.create_volume.end', 'scheduler'),
    ('volume.stor-01@lvm', 'volume.create.end', 'volume'),
])
def test_one_service_one_name(publisher_id, event_type, service):
    record = normalize.normalize(
        {'priority': 'info', 'ctxt': {}, 'publisher_id': publisher_id,
         'event_type': event_type, 'payload': {}, 'metadata': {}},
        datetime.datetime(2026, 1, 1))
    assert record.row['service'] == service
