"""Usage tracking and verification end to end on every backend."""

import datetime

import pytest

from stacktach_ng.common import timestamps
from stacktach_ng.usage import store
from tests.functional.usage import base
from tests.unit.usage import messages as m

P1 = 'project-1'
P2 = 'project-2'
DAY2 = (m.day(2), m.day(3))


@pytest.fixture
def usage(migrated_conf):
    db = base.UsageDB(migrated_conf)
    yield db
    db.close()


def _boot(instance, project, launched_at, flavor='m1.small', image='img-1',
          versioned=False):
    if versioned:
        return m.versioned('instance.create.end', instance, project,
                           launched_at, launched_at=launched_at,
                           flavor=flavor, image=image)
    return m.legacy('compute.instance.create.end', instance, project,
                    launched_at, launched_at=launched_at, flavor=flavor,
                    image=image, micro=True, message='Success')


def test_each_mismatch_gets_its_reason(usage):
    launched = m.day(1, 10, 0, 0, 123456)
    bodies = []
    cases = {}

    def case(name, instance, exists_body, launch=True, **boot):
        if launch:
            bodies.append(_boot(instance, boot.pop('project', P1), launched,
                                **boot))
        bodies.append(exists_body)
        cases[exists_body['message_id']] = name

    # Consistent: launched_at to the second although the launch carried
    # microseconds; legacy and versioned.
    case(None, 'i-ok', m.legacy_exists('i-ok', P1, m.day(3, 0, 5),
                                       launched, *DAY2))
    case(None, 'i-okv', m.versioned(
        'instance.exists', 'i-okv', P1, m.day(3, 0, 5),
        launched_at=launched.replace(microsecond=0), audit_period=DAY2),
        versioned=True)
    case('launched_at_mismatch', 'i-la', m.legacy_exists(
        'i-la', P1, m.day(3, 0, 5), launched + datetime.timedelta(
            seconds=1), *DAY2))
    case('flavor_mismatch', 'i-fl', m.legacy_exists(
        'i-fl', P1, m.day(3, 0, 5), launched, *DAY2, flavor='m1.large'))
    case('project_mismatch', 'i-pr', m.legacy_exists(
        'i-pr', P2, m.day(3, 0, 5), launched, *DAY2))
    # The image is not checked (a failed rebuild changes it alone).
    case(None, 'i-im', m.legacy_exists(
        'i-im', P1, m.day(3, 0, 5), launched, *DAY2, image='img-2'))
    case('no_launch_known', 'i-nl', m.legacy_exists(
        'i-nl', P1, m.day(3, 0, 5), launched, *DAY2), launch=False)
    # Deleted on day 1, then an exists for day 2 says it is alive.
    bodies.append(m.legacy('compute.instance.delete.end', 'i-ad', P1,
                           m.day(1, 12), launched_at=launched,
                           deleted_at=m.day(1, 12)))
    case('exists_after_deletion', 'i-ad', m.legacy_exists(
        'i-ad', P1, m.day(3, 0, 5), launched, *DAY2))
    # Deleted during day 2 but the exists has no deleted_at; and an exists
    # with a deleted_at that differs from the tracked one.
    bodies.append(m.legacy('compute.instance.delete.end', 'i-dm', P1,
                           m.day(2, 12), launched_at=launched,
                           deleted_at=m.day(2, 12)))
    case('deleted_at_mismatch', 'i-dm', m.legacy_exists(
        'i-dm', P1, m.day(3, 0, 5), launched, *DAY2))
    bodies.append(m.legacy('compute.instance.delete.end', 'i-dd', P1,
                           m.day(2, 12), launched_at=launched,
                           deleted_at=m.day(2, 12)))
    case('deleted_at_mismatch', 'i-dd', m.legacy_exists(
        'i-dd', P1, m.day(3, 0, 5), launched, *DAY2,
        deleted_at=m.day(2, 13)))
    # Deleted during day 2 and said so: consistent.
    bodies.append(m.legacy('compute.instance.delete.end', 'i-dok', P1,
                           m.day(2, 12), launched_at=launched,
                           deleted_at=m.day(2, 12, 0, 0, 500)))
    case(None, 'i-dok', m.legacy_exists(
        'i-dok', P1, m.day(3, 0, 5), launched, *DAY2,
        deleted_at=m.day(2, 12)))

    usage.load(bodies)
    result = usage.verifier().run_pass()
    got = usage.exists()
    expected = {message_id: (('verified', None) if reason is None
                             else ('failed', reason))
                for message_id, reason in cases.items()}
    assert got == expected
    consistent = sum(1 for reason in cases.values() if reason is None)
    assert result.verified == consistent == 4
    assert result.failed == len(cases) - consistent
    # A second pass has nothing left to do.
    again = usage.verifier().run_pass()
    assert (again.verified, again.failed) == (0, 0)


def test_exists_before_its_launch_waits_for_the_settle_delay(usage):
    launched = m.day(1, 10)
    exists = m.legacy_exists('i-1', P1, m.day(3, 0, 5), launched, *DAY2)
    usage.load([exists])
    # Within the settle delay nothing is judged.
    result = usage.verifier(settle_delay=3600).run_pass()
    assert (result.verified, result.failed) == (0, 0)
    assert usage.exists()[exists['message_id']] == ('pending', None)
    # The launch arrives late; once settled, the exists verifies.
    usage.load([_boot('i-1', P1, launched)])
    result = usage.verifier(settle_delay=0).run_pass()
    assert result.verified == 1
    assert usage.exists()[exists['message_id']] == ('verified', None)


def test_late_launch_reconciles_a_failure(usage):
    launched = m.day(1, 10)
    exists = m.legacy_exists('i-1', P1, m.day(3, 0, 5), launched, *DAY2)
    usage.load([exists])
    assert usage.verifier().run_pass().failed == 1
    assert usage.exists()[exists['message_id']] == ('failed',
                                                    'no_launch_known')
    usage.load([_boot('i-1', P1, launched)])
    result = usage.verifier().run_pass()
    assert result.reconciled == 1
    assert usage.exists()[exists['message_id']] == ('reconciled',
                                                    'no_launch_known')


def test_observed_launch_verifies_an_instance_older_than_tracking(usage):
    # Only an update and the exists are seen: the update tells the launch.
    launched = m.day(1, 10)
    update = m.legacy('compute.instance.update', 'i-old', P1, m.day(2, 9),
                      launched_at=launched)
    exists = m.legacy_exists('i-old', P1, m.day(3, 0, 5), launched, *DAY2)
    usage.load([exists, update])
    assert usage.verifier().run_pass().verified == 1


def test_replay_and_redelivery_change_nothing(usage):
    launched = m.day(1, 10)
    bodies = [
        m.legacy('compute.instance.update', 'i-1', P1, m.day(1, 10),
                 launched_at=launched),
        _boot('i-1', P1, launched),
        m.legacy('compute.instance.finish_resize.end', 'i-1', P1,
                 m.day(2, 6), launched_at=m.day(2, 6), flavor='m1.large'),
        m.legacy('compute.instance.delete.end', 'i-1', P1, m.day(2, 18),
                 launched_at=m.day(2, 6), deleted_at=m.day(2, 18)),
        m.legacy_exists('i-1', P1, m.day(3, 0, 5), m.day(2, 6), *DAY2,
                        flavor='m1.large', deleted_at=m.day(2, 18)),
    ]
    tables = (store.LAUNCHES, store.DELETES, store.EXISTS, store.PERIODS)
    # Arrival order reversed: the create.end beats the update it follows.
    usage.load(list(reversed(bodies)))
    first = {table.name: usage.rows(table) for table in tables}
    # A redelivery is dropped by the notifications handler; a replay
    # (the usage handler alone, as a rebuild does) writes the same rows.
    usage.load(bodies)
    replay = base.UsageDB(usage.conf)
    replay.pipeline.handlers = replay.pipeline.handlers[1:]
    replay.pipeline.process([base.forms.to_envelope(b) for b in bodies])
    replay.close()
    again = {table.name: usage.rows(table) for table in tables}
    assert again == first
    launches = sorted(first['usage_launches'], key=lambda r: r.effective_at)
    assert [(row.kind, row.evidence, row.flavor_name) for row in launches] \
        == [('create', 0, 'm1.small'), ('resize', 0, 'm1.large')]
    assert usage.verifier().run_pass().verified == 1


def test_missing_exists_are_reported(usage):
    launched = m.day(1, 10)
    bodies = [_boot('i-%d' % n, P1, launched) for n in range(4)]
    # i-3 is deleted before day 2 began: not expected to have an exists.
    bodies.append(m.legacy('compute.instance.delete.end', 'i-3', P1,
                           m.day(1, 20), launched_at=launched,
                           deleted_at=m.day(1, 20)))
    # i-4 is launched after day 2 ended.
    bodies.append(_boot('i-4', P1, m.day(3, 1)))
    bodies += [m.legacy_exists('i-%d' % n, P1, m.day(3, 0, 5), launched,
                               *DAY2) for n in (0, 1)]
    usage.load(bodies)
    result = usage.verifier().run_pass()
    assert (result.periods_checked, result.missing) == (1, 1)
    missing = usage.rows(store.MISSING)
    assert [(row.instance_id, row.audit_period_beginning)
            for row in missing] == [('i-2', m.day(2))]
    # Its exists arrives late: the period is checked again and cleared.
    usage.load([m.legacy_exists('i-2', P1, m.day(3, 2), launched, *DAY2)])
    result = usage.verifier().run_pass()
    assert (result.periods_checked, result.missing) == (1, 0)
    assert usage.count(store.MISSING) == 0


def test_crashed_claims_expire(usage):
    launched = m.day(1, 10)
    usage.load([_boot('i-1', P1, launched),
                m.legacy_exists('i-1', P1, m.day(3, 0, 5), launched,
                                *DAY2)])
    verifier = usage.verifier(claim_timeout=60)
    now = timestamps.utcnow() + datetime.timedelta(hours=1)
    # A verifier claims the record and dies before writing its verdict.
    assert verifier.claim(now) is not None
    assert verifier.run_pass(now=now + datetime.timedelta(
        seconds=30)).verified == 0
    assert verifier.run_pass(now=now + datetime.timedelta(
        seconds=61)).verified == 1
    (row,) = usage.rows(store.EXISTS)
    assert (row.status, row.attempts, row.claimed_by) == ('verified', 2,
                                                          None)


def test_storage_exists(usage):
    created = m.day(1, 8, 0, 0, 250000)
    bodies = [
        m.volume('volume.create.end', 'v-1', P1, created, 10, created),
        m.volume('volume.exists', 'v-1', P1, m.day(3, 0, 5), 10, created,
                 audit_period=DAY2),
        m.volume('volume.exists', 'v-nope', P1, m.day(3, 0, 5), 10,
                 created, audit_period=DAY2),
        m.volume('volume.create.end', 'v-2', P1, created, 10, created),
        m.volume('volume.exists', 'v-2', P1, m.day(3, 0, 5), 20, created,
                 audit_period=DAY2),
        m.image('image.upload', 'im-1', P1, created, 3 * 2 ** 30, created),
        m.image('image.exists', 'im-1', P1, m.day(3, 0, 5), 3 * 2 ** 30,
                created),
    ]
    usage.load(bodies)
    usage.verifier().run_pass()
    assert sorted(usage.exists().values()) == sorted([
        ('verified', None), ('failed', 'no_launch_known'),
        ('failed', 'size_mismatch'), ('verified', None)])


def test_images_are_known_from_any_glance_notification(usage):
    created = m.day(1, 8, 0, 0, 250000)
    size = 3 * 2 ** 30
    no_creation = m.image('image.exists', 'im-none', P1, m.day(3, 0, 5),
                          size, created)
    no_creation['payload']['created_at'] = None
    cases = {
        # Uploaded before tracking began: its exists is all there is.
        'im-old': ([], 'verified', None),
        # Seen in an update (before its upload: no size yet) and later.
        'im-upd': ([m.image('image.update', 'im-upd', P1, m.day(1, 9),
                            None, created),
                    m.image('image.activate', 'im-upd', P1, m.day(1, 9, 1),
                            size, created)], 'verified', None),
        # The exists contradicts what other notifications told.
        'im-cre': ([m.image('image.update', 'im-cre', P1, m.day(1, 9), size,
                            created + datetime.timedelta(hours=1))],
                   'failed', 'launched_at_mismatch'),
        'im-siz': ([m.image('image.upload', 'im-siz', P1, m.day(1, 9),
                            2 * size, created)],
                   'failed', 'size_mismatch'),
    }
    bodies = []
    expected = {}
    for image, (before, status, reason) in cases.items():
        bodies.extend(before)
        exists = m.image('image.exists', image, P1, m.day(3, 0, 5), size,
                         created)
        bodies.append(exists)
        expected[exists['message_id']] = (status, reason)
    # An exists with no creation time, of an image nothing else told of.
    bodies.append(no_creation)
    expected[no_creation['message_id']] = ('failed', 'no_launch_known')
    usage.load(bodies[::2])
    usage.load(bodies[1::2])
    usage.verifier().run_pass()
    assert usage.exists() == expected
