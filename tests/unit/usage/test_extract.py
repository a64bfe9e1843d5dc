"""The usage facts read from real nova notifications, compared with what
Nova itself recorded (``tests/fixtures/openstack``: its instances table,
``os-simple-tenant-usage`` and the audit period it ran), in both formats.
"""

import datetime

import pytest

from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import normalize
from stacktach_ng.usage import extract
from stacktach_ng.usage import report
from tests import captures
from tests.unit.pipeline.real import loader
from tests.unit.usage import messages as m

RECEIVED = datetime.datetime(2026, 12, 3, 15, 0)


def _records(step, *event_types):
    return [normalize.normalize(envelope, RECEIVED)
            for envelope in captures.envelopes(captures.messages(step))
            if envelope['event_type'] in event_types]


def _nova_time(text):
    return captures.nova_time(text) if text else None


def _instances(step):
    """Nova's instances table at the end of a step, by uuid."""
    return {row['uuid']: row
            for row in captures.nova_records(step)['instances']}


def _usages(step):
    """Nova's os-simple-tenant-usage entries, by instance."""
    return {usage['instance_id']: usage for usage in captures.nova_records(
        step)['simple_tenant_usage']['server_usages']}


def _image(step):
    (image,) = {server['image']['id'] for server in captures.nova_records(
        step)['servers'].values() if server}
    return image


def test_the_audit_s_exists_say_what_nova_recorded():
    """nova-compute's hourly audit: one exists per instance alive in the
    period, in each format, each with the instance's launch, deletion,
    project, user, flavor and image as Nova's tables have them."""
    instances = _instances('audit')
    usages = _usages('audit')
    period = captures.nova_records('audit')['during_step']
    beginning = _nova_time(period['period_beginning'])
    ending = _nova_time(period['period_ending'])
    users = {action['instance_uuid']: action['user_id']
             for actions in captures.nova_records('audit')[
                 'instance_actions'].values() for action in actions}
    records = _records('audit', 'compute.instance.exists', 'instance.exists')
    flavor_ids = {}
    seen = []
    for record in records:
        (row,) = extract.exists_rows(record)
        instance = instances[row['resource_id']]
        usage = usages[row['resource_id']]
        legacy = record.row['event_type'] == 'compute.instance.exists'
        seen.append((row['resource_id'], legacy))
        assert (row['launched_at'], row['deleted_at']) == (
            _nova_time(instance['launched_at']),
            _nova_time(instance['deleted_at']))
        assert (row['audit_period_beginning'],
                row['audit_period_ending']) == (beginning, ending)
        assert (row['project_id'], row['user_id']) == (
            usage['tenant_id'], users[row['resource_id']])
        assert (row['flavor_name'], row['vcpus'], row['memory_mb'],
                row['root_gb'] + row['ephemeral_gb']) == (
            usage['flavor'], usage['vcpus'], usage['memory_mb'],
            usage['local_gb'])
        # The legacy format alone names nova's internal instance type id.
        assert row['instance_type_id'] == (
            str(instance['instance_type_id']) if legacy else None)
        assert row['image_id'] == _image('audit')
        assert (row['resource_type'], row['event_type'], row['status'],
                row['attempts'], row['message_id']) == (
            'instance', record.row['event_type'], 'pending', 0,
            record.row['message_id'])
        assert (row['size_bytes'], row['volume_type']) == (None, None)
        # Both formats name the same flavor.
        flavor_ids.setdefault(row['resource_id'], set()).add(
            row['flavor_id'])
    assert sorted(seen) == sorted(
        (uuid, legacy) for uuid in instances for legacy in (True, False))
    assert all(len(ids) == 1 and None not in ids
               for ids in flavor_ids.values())
    assert extract.is_regular_period(beginning, ending)


def test_the_two_exists_before_a_resize_are_one_record():
    """nova sends an exists up to the moment a resize starts, with
    microseconds in its legacy copy only: both give the same period to
    the second, which is not a regular one."""
    records = _records('resize-confirm', 'compute.instance.exists',
                       'instance.exists')
    rows = [extract.exists_rows(record)[0] for record in records]
    assert len(rows) == 2
    periods = {(row['audit_period_beginning'], row['audit_period_ending'])
               for row in rows}
    assert len(periods) == 1
    (beginning, ending), = periods
    assert ending.microsecond == 0
    assert not extract.is_regular_period(beginning, ending)
    # The exists format: legacy 0, versioned 1.
    assert sorted(extract.exists_format(record.row['event_type'])
                  for record in records) == [0, 1]


def test_launches_are_when_nova_says():
    """The create.end of each boot (both formats) and the finish of a
    resize launch the instance at Nova's ``launched_at``, to the second,
    with the flavor Nova bills."""
    instances = _instances('boot')
    usages = _usages('boot')
    records = _records('boot', 'compute.instance.create.end',
                       'instance.create.end')
    assert len(records) == 2 * len(instances)
    for record in records:
        kind = extract.LAUNCH_EVENTS[record.row['event_type']]
        assert (kind, extract.classify(record.row['event_type'])) == (
            'create', extract.LAUNCH)
        row = extract.launch_row(record, kind)
        launched_at = _nova_time(instances[row['instance_id']]['launched_at'])
        usage = usages[row['instance_id']]
        assert (row['launched_at'], row['effective_at']) == (
            launched_at, launched_at)
        assert (row['kind'], row['evidence'], row['message_id']) == (
            'create', extract.EVIDENCE_EVENT, record.row['message_id'])
        assert (row['project_id'], row['flavor_name'], row['vcpus'],
                row['memory_mb']) == (usage['tenant_id'], usage['flavor'],
                                      usage['vcpus'], usage['memory_mb'])
    resized = _instances('resize-confirm')
    (record,) = _records('resize-confirm',
                         'compute.instance.finish_resize.end')
    row = extract.launch_row(record, 'resize')
    instance = resized[row['instance_id']]
    assert row['launched_at'] == _nova_time(instance['launched_at'])
    assert row['instance_type_id'] == str(instance['instance_type_id'])
    # Other notifications of the instance observe its launch.
    assert extract.classify('compute.instance.update') == extract.OBSERVED
    assert extract.launch_row(record, extract.OBSERVED)['evidence'] == (
        extract.EVIDENCE_OBSERVED)


def test_a_delete_is_when_nova_deleted_the_instance():
    instances = _instances('delete')
    records = _records('delete', 'compute.instance.delete.end',
                       'instance.delete.end')
    assert len(records) == 2
    for record in records:
        assert extract.classify(record.row['event_type']) == extract.DELETE
        row = extract.instance_delete_row(record)
        instance = instances[row['resource_id']]
        # Nova's deleted_at, not the legacy terminated_at (a fraction of a
        # second earlier) nor the time of the notification.
        assert row['deleted_at'] == _nova_time(instance['deleted_at'])
        assert row['launched_at'] == _nova_time(instance['launched_at'])
        assert (row['resource_type'], row['message_id']) == (
            'instance', record.row['message_id'])


_HOUR = datetime.timedelta(hours=1)


def _at(*args):
    return datetime.datetime(*args)


# nova's instance_usage_audit_period: hour, day (either with an offset),
# month or year; anything else (the exists before a resize) is not.
@pytest.mark.parametrize('beginning, ending, regular', [
    (_at(2026, 3, 2, 13, 44), _at(2026, 3, 2, 14, 44), True),
    (_at(2026, 3, 2, 13, 44, 0, 500), _at(2026, 3, 2, 14, 44), True),
    (_at(2026, 3, 2, 5), _at(2026, 3, 3, 5), True),
    (_at(2026, 3, 1), _at(2026, 4, 1), True),
    (_at(2026, 12, 1), _at(2027, 1, 1), True),
    (_at(2026, 1, 1), _at(2027, 1, 1), True),
    (_at(2026, 2, 1), _at(2027, 2, 1), False),
    (_at(2026, 3, 1), _at(2026, 5, 1), False),
    (_at(2026, 3, 2), _at(2026, 4, 2), False),
    (_at(2026, 3, 1, 0, 0, 1), _at(2026, 4, 1, 0, 0, 1), False),
    (_at(2026, 3, 1, 0, 1), _at(2026, 4, 1, 0, 1), False),
    (_at(2026, 3, 1, 1), _at(2026, 4, 1, 1), False),
    (_at(2026, 3, 2, 14), _at(2026, 3, 2, 14, 41, 13), False),
    (_at(2026, 3, 2, 14), _at(2026, 3, 2, 14), False),
    (_at(2026, 3, 2, 15), _at(2026, 3, 2, 14), False),
    (None, _at(2026, 3, 2, 14), False),
    (_at(2026, 3, 2, 14), None, False),
])
def test_regular_audit_periods(beginning, ending, regular):
    assert extract.is_regular_period(beginning, ending) is regular


def _record(body):
    (envelope,) = [forms.to_envelope(body)]
    return normalize.normalize(envelope, RECEIVED)


DAY2 = (m.day(2), m.day(3))


def test_a_volume_exists_is_one_record_in_bytes():
    record = _record(m.volume('volume.exists', 'vol-1', 'p-1', m.day(3, 0, 5),
                              size=10, created_at=m.day(1, 10, 0, 0, 500),
                              audit_period=DAY2))
    (row,) = extract.exists_rows(record)
    assert {name: row[name] for name in (
        'resource_type', 'resource_id', 'project_id', 'launched_at',
        'deleted_at', 'audit_period_beginning', 'audit_period_ending',
        'size_bytes', 'volume_type', 'event_type')} == {
        'resource_type': 'volume', 'resource_id': 'vol-1',
        'project_id': 'p-1', 'launched_at': m.day(1, 10),
        'deleted_at': None, 'audit_period_beginning': DAY2[0],
        'audit_period_ending': DAY2[1],
        # cinder's sizes are GiB: 10 GiB is 10 * 1024 ** 3 bytes.
        'size_bytes': 10737418240, 'volume_type': 'lvm',
        'event_type': 'volume.exists'}
    # A volume exists naming no volume is no record.
    nameless = m.volume('volume.exists', None, 'p-1', m.day(3, 0, 5),
                        size=10, created_at=m.day(1, 10), audit_period=DAY2)
    assert extract.exists_rows(_record(nameless)) == []


def _image_exists(payload):
    return {'message_id': 'img-exists-1', 'event_type': 'image.exists',
            'publisher_id': 'image.localhost', 'priority': 'INFO',
            'timestamp': '2026-03-03 00:05:00.000000', 'payload': payload}


def test_a_glance_exists_is_a_record_per_image_it_lists():
    """An exists listing images: one record per image (what is not an
    image, or names none, is skipped), each in the project of its owner
    or the listing's, in the listing's period."""
    period = {'audit_period_beginning': '2026-03-02 00:00:00',
              'audit_period_ending': '2026-03-03 00:00:00'}
    record = _record(_image_exists(dict(period, owner='p-1', images=[
        {'id': 'img-1', 'size': 1000, 'created_at': '2026-03-01T10:00:00',
         'deleted_at': None},
        'not an image',
        {'size': 5, 'created_at': '2026-03-01T10:00:00'},
        {'id': 'img-2', 'owner': 'p-2', 'size': 2000,
         'created_at': '2026-03-01T11:00:00',
         'deleted_at': '2026-03-02T12:00:00'}])))
    rows = extract.exists_rows(record)
    assert [(row['resource_type'], row['resource_id'], row['project_id'],
             row['size_bytes'], row['launched_at'], row['deleted_at'],
             row['audit_period_beginning'], row['audit_period_ending'])
            for row in rows] == [
        ('image', 'img-1', 'p-1', 1000, m.day(1, 10), None, *DAY2),
        ('image', 'img-2', 'p-2', 2000, m.day(1, 11), m.day(2, 12), *DAY2)]
    # Without a list, the payload is the image.
    (single,) = extract.exists_rows(_record(_image_exists(dict(
        period, id='img-3', owner='p-1', size=7,
        created_at='2026-03-01T09:00:00'))))
    assert (single['resource_id'], single['size_bytes'],
            single['launched_at']) == ('img-3', 7, m.day(1, 9))


def test_an_instance_exists_without_deleted_at_takes_terminated_at():
    body = m.legacy_exists('i-1', 'p-1', m.day(3, 0, 5), m.day(1, 10),
                           *DAY2)
    body['payload'].update(deleted_at='',
                           terminated_at='2026-03-02 12:00:00.250000')
    (row,) = extract.exists_rows(_record(body))
    assert row['deleted_at'] == m.day(2, 12)


def test_a_revert_launches_when_it_ends():
    """A revert keeps the launched_at of the resize it reverts and brings
    the old flavor back when it ends (the notification's time, to the
    second)."""
    record = _record(m.legacy('compute.instance.resize.revert.end', 'i-1',
                              'p-1', m.day(2, 9, 0, 0, 700000),
                              launched_at=m.day(2, 8)))
    row = extract.launch_row(record, 'revert')
    assert (row['launched_at'], row['effective_at'], row['kind']) == (
        m.day(2, 8), m.day(2, 9), 'revert')


def _create_end(**payload):
    body = m.legacy('compute.instance.create.end', 'i-1', 'p-1',
                    m.day(1, 10, 0, 5), launched_at=m.day(1, 10))
    body['payload'].update(payload)
    return _record(body)


def test_a_create_end_that_reports_a_failure_launches_nothing():
    assert extract.launch_row(_create_end(message='Success'), 'create')
    assert extract.launch_row(_create_end(message=''), 'create')
    failed = _create_end(message='Build of instance i-1 aborted')
    assert extract.launch_row(failed, 'create') is None
    # The message says nothing of other launches.
    assert extract.launch_row(failed, 'rebuild')['kind'] == 'rebuild'
    # Nor does a notification without launched_at launch anything.
    assert extract.launch_row(_create_end(launched_at=''), 'create') is None


def _delete_end(**payload):
    body = m.legacy('compute.instance.delete.end', 'i-1', 'p-1',
                    m.day(2, 12, 0, 3), launched_at=m.day(1, 10),
                    deleted_at=m.day(2, 12))
    body['payload'].update(payload)
    return _record(body)


def test_a_delete_without_deleted_at_is_when_it_terminated_or_was_sent():
    terminated = _delete_end(deleted_at='',
                             terminated_at='2026-03-02 12:00:01.000000')
    assert extract.instance_delete_row(terminated)['deleted_at'] == (
        m.day(2, 12, 0, 1))
    neither = _delete_end(deleted_at='', terminated_at='')
    assert extract.instance_delete_row(neither)['deleted_at'] == (
        m.day(2, 12, 0, 3))


@pytest.mark.parametrize('event_type, meaning', [
    ('compute.instance.create.end', extract.LAUNCH),
    ('compute.instance.exists', extract.EXISTS),
    ('instance.delete.end', extract.DELETE),
    ('volume.resize.end', extract.STORAGE),
    ('image.delete', extract.STORAGE_DELETE),
    ('compute.instance.power_off.end', extract.OBSERVED),
    ('image.update', extract.IMAGE_OBSERVED),
    # A membership's created_at is when the image was shared.
    ('image.member.create', None),
    # The verdicts a verifier sends about an exists are no observation.
    ('compute.instance.exists.verified', None),
    ('instance.exists.failed', None),
    # Nor is what concerns no instance nor image.
    ('volume.attach.end', None),
    ('identity.authenticate', None),
])
def test_what_a_notification_means_for_usage(event_type, meaning):
    assert extract.classify(event_type) == meaning


def test_what_a_payload_lacks_is_unknown_or_read_elsewhere():
    # A legacy payload without image_ref_url: the image_meta's base.
    body = m.legacy_exists('i-1', 'p-1', m.day(3, 0, 5), m.day(1, 10),
                           *DAY2)
    body['payload'].update(image_ref_url='',
                           image_meta={'base_image_ref': 'img-9'},
                           instance_type='m' * 300, instance_flavor_id='')
    (row,) = extract.exists_rows(_record(body))
    assert row['image_id'] == 'img-9'
    # Legacy nova writes an unknown value as '': unknown.
    assert row['flavor_id'] is None
    # The flavor's name is cut to its 255-character column.
    assert row['flavor_name'] == 'm' * 255
    body = m.versioned('instance.exists', 'i-1', 'p-1', m.day(3, 0, 5),
                       launched_at=m.day(1, 10), audit_period=DAY2)
    body['payload']['nova_object.data']['flavor']['nova_object.data'][
        'name'] = 'n' * 300
    (row,) = extract.exists_rows(_record(body))
    assert row['flavor_name'] == 'n' * 255
    # A versioned payload without a flavor: its flavor is unknown.
    del body['payload']['nova_object.data']['flavor']
    (row,) = extract.exists_rows(_record(body))
    assert (row['flavor_id'], row['flavor_name'], row['vcpus']) == (
        None, None, None)
    # A volume exists naming no project: none known.
    body = m.volume('volume.exists', 'vol-1', None, m.day(3, 0, 5), size=1,
                    created_at=m.day(1, 10), audit_period=DAY2)
    (row,) = extract.exists_rows(_record(body))
    assert row['project_id'] is None


def test_the_instance_s_own_project_and_image_win():
    """The payload's tenant, not the project of whoever sent the request
    (an admin acting on the instance); the image the instance was built
    from (image_ref_url), not the base of the snapshot it was (the
    image_meta's base_image_ref)."""
    body = m.legacy_exists('i-1', 'p-1', m.day(3, 0, 5), m.day(1, 10),
                           *DAY2, image='img-2')
    body['_context_project_id'] = 'p-admin'
    body['payload']['image_meta'] = {'base_image_ref': 'img-base'}
    (row,) = extract.exists_rows(_record(body))
    assert (row['project_id'], row['image_id']) == ('p-1', 'img-2')
    # Without a tenant in the payload, the request's project.
    body['payload']['tenant_id'] = ''
    (row,) = extract.exists_rows(_record(body))
    assert row['project_id'] == 'p-admin'


# Cinder's and glance's own notifications (tests/fixtures/real, see its
# SOURCES), dated as the pipeline would receive them.
SENT = datetime.datetime(2026, 12, 4, 16, 50, 0, 250000)
VOLUME = '044c4469-29ed-4b17-872b-90baa65ee7b9'
VOLUME_PROJECT = '7f265bd4-3a85-465e-a899-5dc4854a86d3'
VOLUME_TYPE = 'c4daaf47-c530-4901-b28e-f5f0a359c4e6'
# cinder.json's created_at: 2026-12-04T16:47:31.109916+00:00.
VOLUME_CREATED = datetime.datetime(2026, 12, 4, 16, 47, 31, 109916)
IMAGE = 'c80a1a6c-bd1f-41c5-90ee-81afedb1d58d'
IMAGE_OWNER = '6838eb7b-6ded-434a-882c-b344c77fe8df'
# glance.json's created_at: 2012-05-16T15:27:36Z.
IMAGE_CREATED = datetime.datetime(2012, 5, 16, 15, 27, 36)


def _real(project, event_type, **payload):
    message = loader.by_event_type(project)[event_type]
    message = dict(message, payload=dict(message['payload'], **payload))
    return normalize.normalize(loader.at(message, SENT), RECEIVED)


def _storage(row):
    return {name: row[name] for name in (
        'resource_type', 'resource_id', 'started_at', 'created_at', 'kind',
        'project_id', 'size_bytes', 'volume_type', 'generated_at')}


def test_cinder_s_volume_create_and_resize_are_storage_in_bytes():
    record = _real('cinder', 'volume.create.end')
    row = extract.storage_row(record)
    assert row['message_id'] == record.row['message_id']
    assert _storage(row) == {
        'resource_type': 'volume', 'resource_id': VOLUME,
        # A creation starts when cinder created the volume.
        'started_at': VOLUME_CREATED, 'created_at': VOLUME_CREATED,
        'kind': 'create', 'project_id': VOLUME_PROJECT,
        # size 2 (GiB): 2 * 1024 ** 3 bytes.
        'size_bytes': 2147483648, 'volume_type': VOLUME_TYPE,
        'generated_at': SENT}
    # The extension to 4 GiB takes effect when it is reported, not at
    # the volume's creation.
    row = extract.storage_row(_real('cinder', 'volume.resize.end'))
    assert (row['kind'], row['started_at'], row['created_at'],
            row['size_bytes']) == ('resize', SENT, VOLUME_CREATED,
                                   4294967296)


def test_a_storage_payload_read_under_its_other_names():
    # cinder's 'id' and 'project_id' where volume_id and tenant_id lack,
    # a volume type cut to its 255-character column, a creation without
    # created_at starting when it was reported.
    record = _real('cinder', 'volume.create.end', volume_id=None,
                   id='vol-2', tenant_id=None, project_id='p-2',
                   volume_type='t' * 300, created_at=None)
    row = extract.storage_row(record)
    assert (row['resource_id'], row['project_id'], row['volume_type'],
            row['started_at'], row['created_at']) == (
        'vol-2', 'p-2', 't' * 255, SENT, None)
    # A size in GiB whose bytes no BIGINT holds is unknown:
    # (2 ** 63 - 1) // 1024 ** 3 = 8589934591 GiB is the largest.
    assert extract.storage_row(_real(
        'cinder', 'volume.create.end', size=8589934591))['size_bytes'] == (
        8589934591 * 1024 ** 3)
    assert extract.storage_row(_real(
        'cinder', 'volume.create.end', size=8589934592))[
        'size_bytes'] is None
    # Nor is a volume naming itself neither way a row.
    assert extract.storage_row(_real('cinder', 'volume.create.end',
                                     volume_id=None)) is None
    # The payload's tenant, whatever project the notification came from;
    # without one in the payload, the notification's own.
    record = _real('cinder', 'volume.create.end')
    record.row['project_id'] = 'p-context'
    assert extract.storage_row(record)['project_id'] == VOLUME_PROJECT
    record = _real('cinder', 'volume.create.end', tenant_id=None)
    record.row['project_id'] = 'p-context'
    assert extract.storage_row(record)['project_id'] == 'p-context'


def test_glance_s_upload_is_storage_from_the_image_s_creation():
    row = extract.storage_row(_real('glance', 'image.upload'))
    assert _storage(row) == {
        'resource_type': 'image', 'resource_id': IMAGE,
        'started_at': IMAGE_CREATED, 'created_at': IMAGE_CREATED,
        'kind': 'upload', 'project_id': IMAGE_OWNER,
        # glance reports no size for the queued image.
        'size_bytes': None, 'volume_type': None, 'generated_at': SENT}
    # glance's sizes are bytes, read as given.
    row = extract.storage_row(_real('glance', 'image.upload', size=1024,
                                    id=None, image_id='img-2'))
    assert (row['resource_id'], row['size_bytes']) == ('img-2', 1024)


def test_deleting_a_volume_or_an_image():
    record = _real('cinder', 'volume.delete.end')
    row = extract.storage_delete_row(record)
    assert row == {
        'resource_type': 'volume', 'resource_id': VOLUME,
        'project_id': VOLUME_PROJECT,
        # The creation to the second; cinder's payload names no
        # deleted_at: deleted when reported.
        'launched_at': datetime.datetime(2026, 12, 4, 16, 47, 31),
        'deleted_at': SENT, 'terminated_at': None,
        'message_id': record.row['message_id'], 'generated_at': SENT}
    row = extract.storage_delete_row(_real('glance', 'image.delete'))
    assert (row['resource_type'], row['resource_id'], row['project_id'],
            row['launched_at'], row['deleted_at']) == (
        'image', IMAGE, IMAGE_OWNER, IMAGE_CREATED,
        # glance.json's deleted_at: 2026-12-04T16:42:48Z.
        datetime.datetime(2026, 12, 4, 16, 42, 48))
    assert extract.storage_delete_row(_real(
        'glance', 'image.delete', id=None)) is None
    # Without an owner in the payload, the notification's project.
    record = _real('glance', 'image.delete', owner=None)
    record.row['project_id'] = 'p-context'
    assert extract.storage_delete_row(record)['project_id'] == 'p-context'


def test_what_glance_shows_of_an_image_is_an_observation():
    record = _real('glance', 'image.create')
    (row,) = extract.image_observation_rows(record)
    assert _storage(row) == {
        'resource_type': 'image', 'resource_id': IMAGE,
        'started_at': IMAGE_CREATED, 'created_at': IMAGE_CREATED,
        'kind': extract.OBSERVED, 'project_id': IMAGE_OWNER,
        'size_bytes': 1024, 'volume_type': None, 'generated_at': SENT}
    assert row['message_id'] == record.row['message_id']
    # image.send names the image but not when it was created: nothing.
    assert extract.image_observation_rows(_real('glance', 'image.send')) == []
    # An image naming no id is nothing either.
    assert extract.image_observation_rows(
        _real('glance', 'image.create', id=None)) == []


def test_a_glance_exists_observes_each_image_it_lists():
    listing = _record(_image_exists({'owner': 'p-1', 'images': [
        {'id': 'img-1', 'size': 10, 'created_at': '2026-03-01T10:00:00'},
        'not an image',
        # No creation time: skipped, the images after it still read.
        {'id': 'img-3'},
        {'id': 'img-2', 'owner': 'p-2', 'created_at': '2026-03-01T11:00:00'},
    ]}))
    assert [(row['resource_id'], row['kind'], row['project_id'],
             row['started_at'], row['size_bytes'])
            for row in extract.image_observation_rows(listing)] == [
        ('img-1', extract.EXISTS_KIND, 'p-1', m.day(1, 10), 10),
        ('img-2', extract.EXISTS_KIND, 'p-2', m.day(1, 11), None)]
    # An exists without a list is the image itself.
    (row,) = extract.image_observation_rows(_record(_image_exists(
        {'id': 'img-4', 'created_at': '2026-03-01T09:00:00'})))
    assert (row['resource_id'], row['kind']) == ('img-4', extract.EXISTS_KIND)


@pytest.mark.parametrize('kind, evidence', [
    (extract.OBSERVED, extract.EVIDENCE_OBSERVED),
    (extract.EXISTS_KIND, extract.EVIDENCE_EXISTS),
    ('create', extract.EVIDENCE_EVENT),
    ('upload', extract.EVIDENCE_EVENT),
])
def test_how_much_a_storage_row_proves(kind, evidence):
    assert extract.storage_evidence(kind) == evidence


def test_observations_of_the_same_launch_share_a_key():
    record = _record(m.legacy('compute.instance.update', 'i-1', 'p-1',
                              m.day(2, 9), launched_at=m.day(1, 10)))
    # legacy nova writes launched_at as '2026-03-01 10:00:00.000000'.
    assert extract.observation_key(record) == (
        'i-1', '2026-03-01 10:00:00.000000')
    # A launched_at no nova writes is still a key (not the key of every
    # other one), and one a batch can hold.
    record.payload['launched_at'] = 5
    assert extract.observation_key(record) == ('i-1', '5')
    record.payload['launched_at'] = ['2026-03-01']
    assert extract.observation_key(record) == ('i-1', "['2026-03-01']")
    for unlaunched in ('', None):
        record.payload['launched_at'] = unlaunched
        assert extract.observation_key(record) is None
    record.row['resource_id'] = None
    assert extract.observation_key(record) is None


@pytest.mark.parametrize('image_ref_url, image', [
    ('http://glance.example:9292/images/img-7', 'img-7'),
    ('http://glance.example:9292/images/img-7/', 'img-7'),
    # Not a URL: the image is the payload's image_meta base.
    (7, 'img-9'),
])
def test_the_image_of_an_instance_is_the_last_part_of_its_url(
        image_ref_url, image):
    body = m.legacy_exists('i-1', 'p-1', m.day(3, 0, 5), m.day(1, 10),
                           *DAY2)
    body['payload'].update(image_ref_url=image_ref_url,
                           image_meta={'base_image_ref': 'img-9'})
    (row,) = extract.exists_rows(_record(body))
    assert row['image_id'] == image



def test_sharing_an_image_is_no_observation_of_it(tmp_path):
    """glance's image.member.create is about a membership: its created_at
    is when the image was shared. Read as an observation of the image it
    started a new stretch of it there, with no size and no project."""
    glance = loader.by_event_type('glance')
    member = glance['image.member.create']
    # The membership as glance sends it, made a day after the image.
    shared = dict(member, payload=dict(member['payload'],
                                       created_at='2012-05-17T15:27:36Z'))
    assert extract.classify(shared['event_type']) is None
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(glance['image.create'], IMAGE_CREATED),
            loader.at(shared, IMAGE_CREATED + datetime.timedelta(days=1))])
        with database.reader() as connection:
            figures = report.compute(
                connection, IMAGE_CREATED,
                IMAGE_CREATED + datetime.timedelta(days=2))
    # The owner's 1024 bytes for the two days: 1024 / 1024 ** 3 GiB
    # x 48 h = 4.58e-05 GiB-hours, 4.6e-05 at the report's micro-unit.
    assert [(entry['project_id'], entry['image_gb_hours'])
            for entry in figures['projects']] == [(IMAGE_OWNER, 4.6e-05)]
