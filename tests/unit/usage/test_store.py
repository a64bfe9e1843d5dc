"""One exists row per audit record, the same one whatever the order and
the batches in which its copies arrive."""

import datetime
import itertools

import pytest
import sqlalchemy as sa

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.usage import store
from tests import base

DAY2 = (datetime.datetime(2026, 3, 2), datetime.datetime(2026, 3, 3))
LEGACY = 'compute.instance.exists'
VERSIONED = 'instance.exists'


@pytest.fixture
def database(tmp_path):
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'u.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    yield database
    database.dispose()


def _exists(message_id, event_type=LEGACY, instance='i-1', period=DAY2,
            flavor_id='2'):
    beginning, ending = period
    return {
        'message_id': message_id, 'event_type': event_type,
        'resource_type': 'instance', 'resource_id': instance,
        'project_id': 'p-1', 'user_id': 'u-1',
        'launched_at': datetime.datetime(2026, 3, 1, 10),
        'deleted_at': None, 'audit_period_beginning': beginning,
        'audit_period_ending': ending, 'flavor_id': flavor_id,
        'flavor_name': 'm1.small', 'instance_type_id': None, 'vcpus': 1,
        'memory_mb': 2048, 'root_gb': 20, 'ephemeral_gb': 0,
        'image_id': 'img-1', 'size_bytes': None, 'volume_type': None,
        'generated_at': DAY2[1], 'received_at': DAY2[1], 'status': 'pending',
        'attempts': 0,
    }


def _write(database, *batches):
    for batch in batches:
        with database.writer() as connection:
            store.write_exists(connection, list(batch))


def _stored(database):
    with database.reader() as connection:
        return sorted(
            (row.message_id, row.event_type, row.status)
            for row in connection.execute(sa.select(store.EXISTS)))


# The legacy copy has the larger message id: the format decides first.
TWINS = (_exists('m-9', LEGACY), _exists('m-1', VERSIONED))


@pytest.mark.parametrize('order', list(itertools.permutations(TWINS)))
@pytest.mark.parametrize('together', [True, False])
def test_twins_are_one_record_the_legacy_one(database, order, together):
    batches = [order] if together else [[row] for row in order]
    _write(database, *batches)
    assert _stored(database) == [('m-9', LEGACY, 'pending')]
    # Replays, in any order, change nothing.
    _write(database, [TWINS[1]], [TWINS[0]], TWINS)
    assert _stored(database) == [('m-9', LEGACY, 'pending')]


@pytest.mark.parametrize('order', list(itertools.permutations(
    (_exists('m-b'), _exists('m-a'), _exists('m-c')))))
def test_copies_of_one_format_keep_the_smallest_message_id(database, order):
    _write(database, *[[row] for row in order])
    assert _stored(database) == [('m-a', LEGACY, 'pending')]


def test_message_ids_compare_byte_by_byte(database):
    # 'B' sorts before 'a' in code points, after it in a case-insensitive
    # or locale collation.
    _write(database, [_exists('a-1')], [_exists('B-1')])
    assert _stored(database) == [('B-1', LEGACY, 'pending')]


def test_the_kept_copy_carries_its_own_facts(database):
    _write(database, [_exists('m-1', VERSIONED, flavor_id=None)],
           [_exists('m-9', LEGACY, flavor_id='2')])
    with database.reader() as connection:
        (row,) = connection.execute(sa.select(store.EXISTS)).all()
    assert (row.message_id, row.event_type, row.flavor_id) == (
        'm-9', LEGACY, '2')


def test_a_decided_record_keeps_its_copy_and_verdict(database):
    _write(database, [_exists('m-1', VERSIONED)])
    with database.writer() as connection:
        connection.execute(store.EXISTS.update().values(status='verified'))
    _write(database, [_exists('m-9', LEGACY)])
    assert _stored(database) == [('m-1', VERSIONED, 'verified')]


def test_other_periods_and_resources_are_other_records(database):
    # nova's exists before a resize ends at that moment: another record.
    before_resize = (DAY2[0], DAY2[0] + datetime.timedelta(hours=5))
    _write(database, [_exists('m-1'), _exists('m-2', period=before_resize),
                      _exists('m-3', instance='i-2')])
    assert [m for m, _e, _s in _stored(database)] == ['m-1', 'm-2', 'm-3']


def test_exists_without_a_period_stay_keyed_by_message(database):
    no_period = (None, None)
    _write(database, [_exists('m-1', period=no_period),
                      _exists('m-2', VERSIONED, period=no_period)])
    _write(database, [_exists('m-1', period=no_period)])
    assert _stored(database) == [('m-1', LEGACY, 'pending'),
                                 ('m-2', VERSIONED, 'pending')]
