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
