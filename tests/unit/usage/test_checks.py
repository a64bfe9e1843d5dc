"""Image and volume exists against what other notifications told."""

import datetime
import types

from stacktach_ng.usage import checks

CREATED = datetime.datetime(2026, 3, 1, 8)
DAY2 = (datetime.datetime(2026, 3, 2), datetime.datetime(2026, 3, 3))


def _exists(created_at=CREATED, size=100):
    return types.SimpleNamespace(
        resource_type='image', resource_id='im-1', project_id='p-1',
        launched_at=created_at, deleted_at=None, size_bytes=size,
        audit_period_beginning=DAY2[0], audit_period_ending=DAY2[1])


def _segment(kind, created_at=CREATED, size=100):
    return types.SimpleNamespace(kind=kind, started_at=created_at,
                                 created_at=created_at, size_bytes=size,
                                 project_id='p-1')


def test_an_image_known_from_its_exists_alone_verifies():
    assert checks.check_storage(_exists(), [_segment('exists')],
                                None) == (None, None)


def test_nothing_known_is_no_launch_known():
    assert checks.check_storage(_exists(), [], None)[0] == (
        checks.NO_LAUNCH_KNOWN)


def test_an_exists_never_vouches_against_other_notifications():
    later = CREATED + datetime.timedelta(hours=1)
    # The exists' own report sorts first, but an observation is known.
    segments = [_segment('exists'), _segment('observed', later)]
    assert checks.check_storage(_exists(), segments, None)[0] == (
        checks.LAUNCHED_AT_MISMATCH)
    segments = [_segment('exists'), _segment('upload', size=200)]
    assert checks.check_storage(_exists(), segments, None)[0] == (
        checks.SIZE_MISMATCH)


# Instances: an exists of the day DAY2 against the launches and the
# deletion other notifications told of. The expected reasons follow from
# nova's audit: an exists covers [beginning, ending) of an instance that
# was alive for some of it, with the launched_at and the flavor it had
# at the period's end, and a deleted_at when it was deleted inside it.
LAUNCHED = datetime.datetime(2026, 3, 1, 8, 0, 5)


def _instance_exists(**fields):
    values = dict(
        resource_type='instance', resource_id='vm-1', project_id='p-1',
        launched_at=LAUNCHED, deleted_at=None, flavor_id='f-small',
        instance_type_id=None, flavor_name='small', vcpus=1,
        memory_mb=512, root_gb=1, ephemeral_gb=0,
        audit_period_beginning=DAY2[0], audit_period_ending=DAY2[1])
    values.update(fields)
    return types.SimpleNamespace(**values)


def _launch(effective_at=LAUNCHED, evidence=0, **fields):
    values = dict(launched_at=LAUNCHED, effective_at=effective_at,
                  evidence=evidence, project_id='p-1', flavor_id='f-small',
                  instance_type_id=None, flavor_name='small', vcpus=1,
                  memory_mb=512, root_gb=1, ephemeral_gb=0)
    values.update(fields)
    return types.SimpleNamespace(**values)


def _delete(deleted_at):
    return types.SimpleNamespace(deleted_at=deleted_at)


def _reason(exists, launches=None, delete=None):
    launches = [_launch()] if launches is None else launches
    return checks.check(exists, launches, [], delete)[0]


def test_an_instance_as_launched_and_alive_verifies():
    assert checks.check(_instance_exists(), [_launch()], [], None) == (
        None, None)


def test_an_instance_exists_without_launched_at_fails():
    assert _reason(_instance_exists(launched_at=None)) == (
        checks.NO_LAUNCHED_AT)


def test_only_an_exists_is_no_evidence_of_a_launch():
    assert _reason(_instance_exists(), [_launch(
        evidence=2)]) == checks.NO_LAUNCH_KNOWN
    assert _reason(_instance_exists(), [_launch(evidence=1)]) is None


def test_another_launch_time_is_a_mismatch():
    other = LAUNCHED + datetime.timedelta(seconds=1)
    exists = _instance_exists(launched_at=other)
    reason, detail = checks.check(exists, [_launch()], [], None)
    assert reason == checks.LAUNCHED_AT_MISMATCH
    assert '2026-03-01 08:00:05' in detail


def test_the_flavor_and_project_at_the_period_s_end_count():
    # Resized to "large" during DAY2: the exists of DAY2 carries large.
    resized = DAY2[0] + datetime.timedelta(hours=5)
    launches = [_launch(),
                _launch(effective_at=resized, flavor_id='f-large',
                        memory_mb=2048)]
    assert _reason(_instance_exists(flavor_id='f-large', memory_mb=2048),
                   launches) is None
    assert _reason(_instance_exists(), launches) == checks.FLAVOR_MISMATCH
    # A change in the very second the period ends is already in effect.
    at_end = _launch(effective_at=DAY2[1], flavor_id='f-large')
    assert _reason(_instance_exists(flavor_id='f-large'),
                   [_launch(), at_end]) is None
    # One second later it is not.
    after = _launch(effective_at=DAY2[1] + datetime.timedelta(seconds=1),
                    flavor_id='f-large')
    assert _reason(_instance_exists(), [_launch(), after]) is None
    assert _reason(_instance_exists(project_id='p-2')) == (
        checks.PROJECT_MISMATCH)


def test_flavors_compared_by_id_then_type_then_sizes():
    by_type = dict(flavor_id=None, instance_type_id='5')
    assert _reason(_instance_exists(**by_type),
                   [_launch(**dict(by_type, instance_type_id='6'))]) == (
        checks.FLAVOR_MISMATCH)
    sizes = dict(flavor_id=None, instance_type_id=None)
    assert _reason(_instance_exists(**sizes),
                   [_launch(**dict(sizes, vcpus=2))]) == (
        checks.FLAVOR_MISMATCH)
    # A size unknown on one side decides nothing.
    assert _reason(_instance_exists(**dict(sizes, vcpus=None)),
                   [_launch(**dict(sizes, vcpus=2))]) is None


def test_deletion_inside_and_outside_the_period():
    beginning, ending = DAY2
    second = datetime.timedelta(seconds=1)
    # Deleted inside [beginning, ending): the exists must say so.
    inside = _delete(beginning + second)
    assert _reason(_instance_exists(), delete=inside) == (
        checks.DELETED_AT_MISMATCH)
    assert _reason(_instance_exists(deleted_at=beginning + second),
                   delete=inside) is None
    # Tracked with microseconds, reported to the second: the same time.
    precise = _delete(beginning + second + datetime.timedelta(
        microseconds=250000))
    assert _reason(_instance_exists(deleted_at=beginning + second),
                   delete=precise) is None
    assert _reason(_instance_exists(deleted_at=beginning + 2 * second),
                   delete=inside) == checks.DELETED_AT_MISMATCH
    # Deleted at the period's end or after: alive for all of it.
    assert _reason(_instance_exists(), delete=_delete(ending)) is None
    assert _reason(_instance_exists(),
                   delete=_delete(ending + second)) is None
    assert _reason(_instance_exists(),
                   delete=_delete(ending - second)) == (
        checks.DELETED_AT_MISMATCH)
    # Deleted when the period began, or before: no exists was due.
    assert _reason(_instance_exists(), delete=_delete(beginning)) == (
        checks.EXISTS_AFTER_DELETION)
    assert _reason(_instance_exists(deleted_at=beginning - second),
                   delete=_delete(beginning - second)) == (
        checks.EXISTS_AFTER_DELETION)
    # An exists deleted right at the beginning, as tracked, is consistent.
    assert _reason(_instance_exists(deleted_at=beginning),
                   delete=_delete(beginning)) is None
    # A deletion the exists reports and nothing else told of.
    reason, detail = checks.check(_instance_exists(deleted_at=inside
                                                   .deleted_at),
                                  [_launch()], [], None)
    assert reason == checks.DELETED_AT_MISMATCH
    assert 'no delete known' in detail


def test_an_unknown_period_checks_the_reported_deletion_alone():
    # Without a period a tracked deletion cannot be placed inside it or
    # outside; a deletion the exists reports must still be the tracked one.
    unknown = dict(audit_period_beginning=None, audit_period_ending=None)
    assert _reason(_instance_exists(**unknown),
                   delete=_delete(DAY2[0])) is None
    assert _reason(_instance_exists(deleted_at=DAY2[0], **unknown),
                   delete=_delete(DAY2[0])) is None
    assert _reason(_instance_exists(deleted_at=DAY2[1], **unknown),
                   delete=_delete(DAY2[0])) == checks.DELETED_AT_MISMATCH


def test_a_flavor_id_known_on_one_side_only_decides_nothing():
    # Legacy nova's exists may lack the flavor id the launch has (or the
    # reverse): the next thing both know decides, here the instance
    # type id, then the sizes (equal: consistent; by hand).
    for exists_id, launch_id in (('f-small', None), (None, 'f-small')):
        assert _reason(_instance_exists(flavor_id=exists_id,
                                        instance_type_id='5'),
                       [_launch(flavor_id=launch_id,
                                instance_type_id='5')]) is None
        assert _reason(_instance_exists(flavor_id=exists_id,
                                        instance_type_id='5'),
                       [_launch(flavor_id=launch_id,
                                instance_type_id='6')]) == (
            checks.FLAVOR_MISMATCH)
    for exists_type, launch_type in (('5', None), (None, '5')):
        assert _reason(_instance_exists(flavor_id=None,
                                        instance_type_id=exists_type),
                       [_launch(flavor_id=None,
                                instance_type_id=launch_type)]) is None


def test_an_image_exists_is_checked_against_its_sizes_and_deletion():
    # ``check`` sends what is not an instance to the storage checks: an
    # image as uploaded verifies, one of another size does not, and one
    # deleted inside the period without saying so does not either.
    assert checks.check(_exists(), [], [_segment('upload')], None) == (
        None, None)
    assert checks.check(_exists(size=200), [], [_segment('upload')],
                        None)[0] == checks.SIZE_MISMATCH
    deleted = types.SimpleNamespace(
        deleted_at=DAY2[0] + datetime.timedelta(hours=1))
    assert checks.check(_exists(), [], [_segment('upload')],
                        deleted)[0] == checks.DELETED_AT_MISMATCH
