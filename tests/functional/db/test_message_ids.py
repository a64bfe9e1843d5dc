"""Message ids are identifiers on every backend: ids that differ only by
case are different notifications (MySQL/MariaDB compared them
case-insensitively before revision 0006)."""

import datetime

import sqlalchemy as sa

from stacktach_ng.db import api as db_api
from stacktach_ng.db import models
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner
from tests.unit.pipeline import fixtures

NOTIFICATIONS = models.Notification.__table__
IDS = models.NotificationId.__table__


def _envelope(message_id, minute=0):
    message = fixtures.nova_legacy_update()
    message['message_id'] = message_id
    message['timestamp'] = '2026-01-02 03:%02d:05.678901' % minute
    return forms.to_envelope(fixtures.as_form(message, 'listener'))


def _stored_ids(database):
    with database.reader() as connection:
        return (
            sorted(connection.execute(
                sa.select(NOTIFICATIONS.c.message_id)).scalars()),
            sorted(connection.execute(
                sa.select(IDS.c.message_id)).scalars()))


def test_ids_differing_by_case_are_all_stored(migrated_conf):
    database = db_api.Database(migrated_conf)
    pipeline = runner.Pipeline(migrated_conf, database)
    try:
        # One batch: True and true.
        first = pipeline.process([_envelope('True', 1), _envelope('true', 2)])
        assert (first.stored, first.duplicates) == (2, 0)
        # A later batch: TRUE is new, true a redelivery.
        second = pipeline.process([_envelope('TRUE', 3),
                                   _envelope('true', 2)])
        assert (second.stored, second.duplicates) == (1, 1)
        expected = ['TRUE', 'True', 'true']
        assert _stored_ids(database) == (expected, expected)
        # A lookup by id finds only its own notification.
        with database.reader() as connection:
            assert connection.execute(
                sa.select(sa.func.count()).select_from(NOTIFICATIONS)
                .where(NOTIFICATIONS.c.message_id == 'true')
            ).scalar_one() == 1
    finally:
        database.dispose()


def test_redelivery_dated_on_receipt_is_a_duplicate(migrated_conf):
    """A message without a timestamp is dated when it is received: its
    redelivery has another time and is still the same message."""
    database = db_api.Database(migrated_conf)
    pipeline = runner.Pipeline(migrated_conf, database)

    def undated():
        envelope = _envelope('no-timestamp')
        envelope['metadata']['timestamp'] = None
        envelope['ctxt'].pop('timestamp', None)
        return envelope

    try:
        first = pipeline.process(
            [undated()], received_at=datetime.datetime(2026, 1, 2, 3))
        again = pipeline.process(
            [undated()], received_at=datetime.datetime(2026, 1, 5, 3))
        assert (first.stored, again.stored, again.duplicates) == (1, 0, 1)
        assert _stored_ids(database) == (['no-timestamp'], ['no-timestamp'])
    finally:
        database.dispose()
