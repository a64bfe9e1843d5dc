"""Delete old data in bounded batches: ``stacktach-ng-manage purge`` and
the listener's periodic purge.

Data kinds (``[retention] max_age`` keys):

* ``notifications``: purged through every enabled handler's ``purge()``
  (``handlers.base``), so each handler removes its own derived rows; the
  handlers run in reverse order, derived data first, so that an interrupted
  purge never leaves derived rows pointing at deleted notifications;
* ``rejected``: the rejected messages.

Every batch is its own transaction, so locks stay short and an interrupted
purge keeps what it did.
"""

import dataclasses
import datetime

import sqlalchemy as sa
from oslo_log import log as logging

from stacktach_ng.common import durations
from stacktach_ng.common import timestamps
from stacktach_ng.db import models
from stacktach_ng.pipeline import runner

LOG = logging.getLogger(__name__)

NOTIFICATIONS = 'notifications'
REJECTED = 'rejected'
KINDS = (NOTIFICATIONS, REJECTED)

_NOTIFICATIONS = models.Notification.__table__
_REJECTED = models.RejectedMessage.__table__

def parse_age(text):
    """A ``timedelta`` from ``30d``, ``12h``, ``90m``, ``2w`` or ``3600s``;
    raises ValueError with a message for the operator otherwise."""
    return durations.parse(text, what='age', whole=True, allow_zero=True)


def configured_ages(conf):
    """``{kind: timedelta}`` of ``[retention] max_age``; kinds not listed
    are kept forever. Raises ValueError for an unknown kind or a bad age."""
    ages = {}
    for kind, text in (conf.retention.max_age or {}).items():
        if kind not in KINDS:
            raise ValueError('[retention] max_age: unknown data kind %r '
                             '(known: %s)' % (kind, ', '.join(KINDS)))
        ages[kind] = parse_age(text)
    return ages


@dataclasses.dataclass
class KindResult:
    """What a purge did (or would do, in a dry run) for one data kind."""

    kind: str
    before: datetime.datetime
    deleted: int = 0
    batches: int = 0


def _purge_handler(database, handler, before, batch_size):
    deleted = 0
    batches = 0
    while True:
        with database.writer() as connection:
            count = handler.purge(connection, before, batch_size) or 0
        if count <= 0:
            return deleted, batches
        deleted += count
        batches += 1


def _purge_rejected(database, before, batch_size):
    deleted = 0
    batches = 0
    while True:
        with database.writer() as connection:
            ids = connection.execute(
                sa.select(_REJECTED.c.id)
                .where(_REJECTED.c.received_at < before)
                .order_by(_REJECTED.c.id).limit(batch_size)).scalars().all()
            if ids:
                connection.execute(
                    _REJECTED.delete().where(_REJECTED.c.id.in_(ids)))
        if not ids:
            return deleted, batches
        deleted += len(ids)
        batches += 1


def _count(database, table, column, before):
    with database.reader() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(table)
            .where(column < before)).scalar_one()


def run(conf, database, kinds=None, older_than=None, batch_size=None,
        dry_run=False, now=None, handlers=None):
    """Purge ``kinds`` (default: every kind with a configured age).

    :param older_than: a ``timedelta`` applied to every kind instead of
        ``[retention] max_age``.
    :param batch_size: rows per transaction (default
        ``[retention] purge_batch_size``).
    :param dry_run: count what would be deleted (notifications and
        rejected messages; derived rows are not counted) and delete
        nothing.
    :param handlers: the handlers to purge notifications through (default:
        the enabled ones, ``[listener] handlers``).
    :returns: ``{kind: KindResult}`` for the kinds that were purged.
    """
    now = now or timestamps.utcnow()
    batch_size = batch_size or conf.retention.purge_batch_size
    if older_than is None:
        ages = configured_ages(conf)
        if kinds is not None:
            ages = {kind: age for kind, age in ages.items() if kind in kinds}
    else:
        ages = {kind: older_than for kind in (kinds or KINDS)}

    results = {}
    for kind in KINDS:
        if kind not in ages:
            continue
        result = KindResult(kind, now - ages[kind])
        if kind == NOTIFICATIONS:
            if dry_run:
                result.deleted = _count(database, _NOTIFICATIONS,
                                        _NOTIFICATIONS.c.generated_at,
                                        result.before)
            else:
                if handlers is None:
                    handlers = runner.load_handlers(conf)
                for handler in reversed(handlers):
                    deleted, batches = _purge_handler(
                        database, handler, result.before, batch_size)
                    result.deleted += deleted
                    result.batches += batches
        elif dry_run:
            result.deleted = _count(database, _REJECTED,
                                    _REJECTED.c.received_at, result.before)
        else:
            result.deleted, result.batches = _purge_rejected(
                database, result.before, batch_size)
        LOG.info('Purge of %s older than %s: %s %d rows in %d batches',
                 kind, result.before.isoformat(' '),
                 'would delete' if dry_run else 'deleted', result.deleted,
                 result.batches)
        results[kind] = result
    return results
