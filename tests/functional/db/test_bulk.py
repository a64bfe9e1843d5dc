"""Bulk writes through the drivers, on each database."""

import datetime

import pytest
import sqlalchemy as sa
from oslo_db import exception as db_exc

from stacktach_ng.db import api as db_api
from stacktach_ng.db import bulk
from stacktach_ng.db import chunking
from stacktach_ng.db import models
from stacktach_ng.db import upsert

NOTIFICATIONS = models.Notification.__table__
IDS = models.NotificationId.__table__

AWKWARD_TEXTS = [
    'plain',
    'back\\slash \\N and \\\\ twice',
    'tab\there, newline\nthere, return\rthen',
    'ünïcødé ✓ 日本',
    '{"json": "with \\"quotes\\" and \\\\u0041"}',
    '',
]


def _row(number, payload):
    at = datetime.datetime(2026, 11, 22, 10, 0, 0, number)
    return {
        'message_id': 'bulk-%04d' % number, 'event_type': 'x.y',
        'priority': 'INFO', 'publisher_id': None, 'service': 'svc',
        'host': None, 'generated_at': at, 'received_at': at,
        'request_id': None, 'global_request_id': None, 'project_id': None,
        'user_id': None, 'resource_type': None, 'resource_id': None,
        'vm_state': None, 'old_vm_state': None, 'task_state': None,
        'old_task_state': None, 'power_state': None, 'object_name': None,
        'object_version': None, 'payload': payload, 'context': '{}',
    }


@pytest.fixture
def database(migrated_conf):
    database = db_api.Database(migrated_conf)
    yield database
    database.dispose()


def test_rows_come_back_exactly(database):
    rows = [_row(number, text) for number, text in enumerate(AWKWARD_TEXTS)]
    with database.writer() as connection:
        bulk.insert_rows(connection, NOTIFICATIONS, rows)
    with database.reader() as connection:
        stored = connection.execute(
            sa.select(NOTIFICATIONS.c.message_id, NOTIFICATIONS.c.payload,
                      NOTIFICATIONS.c.generated_at, NOTIFICATIONS.c.host)
            .order_by(NOTIFICATIONS.c.message_id)).all()
    assert [(row.message_id, row.payload, row.generated_at, row.host)
            for row in stored] == [
        (row['message_id'], row['payload'], row['generated_at'], None)
        for row in rows]


def _id_row(number):
    row = _row(number, '')
    return {'message_id': row['message_id'],
            'generated_at': row['generated_at']}


def test_a_duplicate_is_oslo_db_duplicate_entry(database):
    # The pipeline retries a batch that raced another on a message id
    # (unique in notification_ids): it must see the same exception on
    # every backend and write path.
    with database.writer() as connection:
        bulk.insert_rows(connection, IDS, [_id_row(1)])
    with pytest.raises(db_exc.DBDuplicateEntry):
        with database.writer() as connection:
            bulk.insert_rows(connection, IDS, [_id_row(2), _id_row(1)])
    with database.reader() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(
            IDS)).scalar() == 1


_COUNTS = sa.Table(
    'bulk_test_counts', sa.MetaData(),
    sa.Column('name', sa.String(32), primary_key=True),
    sa.Column('total', sa.Integer, nullable=False),
    sa.Column('largest', sa.Integer, nullable=False))


def _merge(stored, incoming):
    return [('total', stored.total + incoming.total),
            ('largest', sa.case((incoming.largest > stored.largest,
                                 incoming.largest),
                                else_=stored.largest))]


def test_upsert_merges_across_statement_pages(database):
    count = chunking.CHUNK * 2 + 7
    with database.writer() as connection:
        _COUNTS.create(connection)
    try:
        for round_number in (1, 2):
            rows = [{'name': 'n%05d' % number, 'total': round_number,
                     'largest': (number * round_number) % 11}
                    for number in range(count)]
            with database.writer() as connection:
                upsert.upsert(connection, _COUNTS, rows, ('name',),
                                _merge)
        with database.reader() as connection:
            stored = {row.name: (row.total, row.largest)
                      for row in connection.execute(sa.select(_COUNTS))}
        assert len(stored) == count
        assert all(total == 3 for total, _largest in stored.values())
        assert stored['n00007'] == (3, max(7 % 11, 14 % 11))
    finally:
        with database.writer() as connection:
            _COUNTS.drop(connection)
