"""Designate's own notifications (tests/fixtures/real/designate.json):
what each becomes, and a zone's and a recordset's lifecycle.

The payloads are those of designate's audit notification plugin, as its
unit tests give them: one ``{zone_id, zone_name, recordset_name,
changed_field, old_data, new_data}`` per change. They carry no status
(the zone's PENDING/ACTIVE is in the default plugin's payload, of which
designate's repository has no complete example) and designate sends no
start/end pairs (one event per change): nothing here can be stuck, so
there is no stuck case; a zone that was created, changed and deleted is
checked to be deleted and not stuck.
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# AuditNotificationTest.zone_id of designate's unit tests.
ZONE = '1c85d9b0-1e9d-4e99-aede-a06664f1af2e'
# The audit plugin names a recordset only by its name in its zone: the
# zone id and the name, joined by '/'.
RECORDSET = ZONE + '/foo.example.com.'

# Per message, in the file's order: (event type, resource type, id,
# state). Every one is published by central (publisher central.<host>),
# whose binary is designate-central. The transfers, imports and exports
# are resources of their own whose id the audit payload does not carry
# (its zone_id is the zone's): no id.
EXPECTED = [
    ('dns.zone.create', 'zone', ZONE, None),
    ('dns.zone.update', 'zone', ZONE, None),
    ('dns.recordset.create', 'recordset', RECORDSET, None),
    ('dns.recordset.update', 'recordset', RECORDSET, None),
    ('dns.recordset.update', 'recordset', RECORDSET, None),
    ('dns.recordset.delete', 'recordset', RECORDSET, 'deleted'),
    ('dns.zone_transfer_request.create', 'zone_transfer_request', None,
     None),
    ('dns.zone_transfer_request.update', 'zone_transfer_request', None,
     None),
    ('dns.zone_transfer_accept.create', 'zone_transfer_accept', None,
     None),
    ('dns.zone_import.create', 'zone_import', None, None),
    ('dns.zone_export.create', 'zone_export', None, None),
    ('dns.zone.delete', 'zone', ZONE, 'deleted'),
]


def test_each_notification():
    messages = loader.messages('designate')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for message, expected in zip(messages, EXPECTED):
        record = loader.record(message)
        row = record.row
        assert (row['event_type'], row['resource_type'],
                row['resource_id'], row['vm_state']) == expected
        assert row['task_state'] is None
        assert record.resource_ids is None


def test_every_service_is_a_service():
    for message in loader.messages('designate'):
        row = loader.record(message).row
        # central.ns1.example.org: the service, then the host whole.
        assert (row['service'], row['host']) == (
            'designate-central', 'ns1.example.org')


def test_lifecycle(tmp_path):
    messages = loader.messages('designate')
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process(loader.dated(messages, start))
        with database.reader() as connection:
            zone = lifecycles.get_resource(connection, ZONE)
            recordset = lifecycles.get_resource(connection, RECORDSET)
            zones, _more = lifecycles.list_resources(
                connection, resource_type='zone')
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (zone['resource_type'], zone['vm_state'],
            zone['state_event_type']) == ('zone', 'deleted',
                                          'dns.zone.delete')
    assert (recordset['resource_type'], recordset['vm_state'],
            recordset['state_event_type']) == ('recordset', 'deleted',
                                               'dns.recordset.delete')
    assert [z['resource_id'] for z in zones] == [ZONE]
    assert stuck == []


def test_the_zone_before_its_deletion(tmp_path):
    by_type = loader.by_event_type('designate')
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(by_type['dns.zone.create'], start),
            loader.at(by_type['dns.zone.update'],
                      start + datetime.timedelta(minutes=5))])
        with database.reader() as connection:
            zone = lifecycles.get_resource(connection, ZONE)
    # Created and changed: known, not deleted (no state at all).
    assert zone['vm_state'] is None
    assert zone['task_state'] is None
