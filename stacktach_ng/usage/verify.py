"""The verification pass over exists records.

One pass (``Verifier.run_pass``) does, in bounded batches:

1. **Verify**: claim pending exists received more than ``[verifier]
   settle_delay`` ago, check each one (``checks``), mark it ``verified``
   or ``failed`` with a reason code, and commit.
2. **Reconcile**: check again the failures younger than
   ``reconcile_window``; those that late notifications made consistent
   become ``reconciled``.
3. **Missing**: for each regular audit period that is over and quiet,
   list the instances alive during it that got no exists for it.
4. **Notify** (with ``emit_notifications``): send the verdicts not sent
   yet.

Claims make it safe to run several verifiers, and to kill one. On
MariaDB/MySQL and PostgreSQL a batch is claimed with ``SELECT ... FOR UPDATE
SKIP LOCKED`` in the transaction that writes its verdicts: the other
verifiers skip those rows, and a killed verifier's locks go with its
connection. SQLite has a single writer and no row locks: there a batch is
stamped with a token and an expiry (``claim_timeout``) and the verdicts are
written only where the token is still there. Either way a verdict is
written only on a record still ``pending``, so each record is verified
exactly once.
"""

import collections
import dataclasses
import datetime
import time
import uuid

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_log import log as logging

from stacktach_ng.common import timestamps
from stacktach_ng.db import chunking
from stacktach_ng.db import upsert
from stacktach_ng.usage import checks
from stacktach_ng.usage import extract
from stacktach_ng.usage import store

LOG = logging.getLogger(__name__)

EXISTS = store.EXISTS
LAUNCHES = store.LAUNCHES
DELETES = store.DELETES
STORAGE = store.STORAGE
PERIODS = store.PERIODS
MISSING = store.MISSING

PENDING = 'pending'
VERIFIED = 'verified'
FAILED = 'failed'
RECONCILED = 'reconciled'
STATUSES = (PENDING, VERIFIED, FAILED, RECONCILED)

# Consecutive deadlocks of one batch before the pass gives up (the next
# pass starts again).
_DEADLOCK_RETRIES = 5
# Failures that no later notification can repair are not rechecked.
_FINAL_REASONS = (checks.NO_LAUNCHED_AT,)


@dataclasses.dataclass
class PassResult:
    verified: int = 0
    failed: int = 0
    reconciled: int = 0
    periods_checked: int = 0
    missing: int = 0
    notified: int = 0
    reasons: dict = dataclasses.field(default_factory=dict)

    def as_dict(self):
        return dataclasses.asdict(self)


class Verifier:
    """Verification passes on one database.

    :param conf: the configuration (``[verifier]`` options).
    :param database: a ``stacktach_ng.db.api.Database``.
    :param notifier: an ``ExistsNotifier`` or None (no notifications).
    """

    def __init__(self, conf, database, notifier=None):
        self.conf = conf
        self.database = database
        self.notifier = notifier
        options = conf.verifier
        self.settle_delay = datetime.timedelta(seconds=options.settle_delay)
        self.claim_timeout = datetime.timedelta(
            seconds=options.claim_timeout)
        self.batch_size = options.batch_size
        self.reconcile_window = datetime.timedelta(
            seconds=options.reconcile_window)

    # -- the pass ------------------------------------------------------

    def run_pass(self, now=None):
        """Run one full pass; return its ``PassResult``."""
        result = PassResult()
        # A cursor over the ids: each claim starts where the previous one
        # ended instead of walking again over the index entries of the
        # records verified meanwhile (PostgreSQL keeps those until vacuum).
        after = 0
        deadlocks = 0
        while True:
            moment = now or timestamps.utcnow()
            try:
                count, after = self.verify_batch(moment, result, after)
            except db_exc.DBDeadlock:
                # The batch's transaction was rolled back whole: its
                # records are still pending. Take it again.
                deadlocks += 1
                if deadlocks > _DEADLOCK_RETRIES:
                    raise
                LOG.debug('Verifier batch deadlocked; retrying (%d)',
                          deadlocks)
                time.sleep(0.05 * deadlocks)
                continue
            deadlocks = 0
            if count < self.batch_size:
                break
        moment = now or timestamps.utcnow()
        if self.reconcile_window:
            self.reconcile(moment, result)
        self.check_missing(moment, result)
        if self.notifier is not None:
            self.notify_backlog(moment, result)
        return result

    # -- claims --------------------------------------------------------

    def claim(self, now, after=0):
        """Claim up to ``batch_size`` due pending records with an id above
        ``after`` in a transaction of its own; return ``(token, ids)`` of
        the claim, or None when nothing was due."""
        with self.database.writer() as connection:
            return self._claim(connection, now, after)

    def _claim(self, connection, now, after):
        """Stamp due records with a token and an expiry (``claim_timeout``):
        a verifier that dies leaves claims that expire. The verdicts are
        written only where the token is still there."""
        token = uuid.uuid4().hex
        due = self._due(now)
        query = (sa.select(EXISTS.c.id).where(due)
                 .where(EXISTS.c.id > after).order_by(EXISTS.c.id)
                 .limit(self.batch_size))
        if connection.dialect.name in ('mysql', 'postgresql'):
            query = query.with_for_update(skip_locked=True)
        ids = connection.execute(query).scalars().all()
        if not ids:
            return None
        for chunk in chunking.chunks(ids):
            connection.execute(
                EXISTS.update().where(EXISTS.c.id.in_(chunk)).where(due)
                .values(claimed_by=token,
                        claimed_until=now + self.claim_timeout,
                        attempts=EXISTS.c.attempts + 1))
        return token, ids

    # -- verification --------------------------------------------------

    def _due(self, now):
        return sa.and_(
            EXISTS.c.status == PENDING,
            EXISTS.c.received_at <= now - self.settle_delay,
            sa.or_(EXISTS.c.claimed_until.is_(None),
                   EXISTS.c.claimed_until < now))

    def verify_batch(self, now, result, after=0):
        """Claim and verify one batch of ids above ``after``; return how
        many were claimed and the highest id seen.

        On MariaDB/MySQL and PostgreSQL the claim is the row locks of
        ``SELECT ... FOR UPDATE SKIP LOCKED`` in the very transaction that
        writes the verdicts: other verifiers skip the locked rows, and a
        verifier killed mid-batch loses its transaction and its locks at
        once. On SQLite the claim is a committed token with an expiry
        (``claim``).
        """
        verdicts = []
        with self.database.writer() as connection:
            if connection.dialect.name == 'mysql':
                # Before the transaction's first statement. InnoDB's
                # default, REPEATABLE READ, takes gap locks that make
                # verifiers sharing the table deadlock, and lets a locking
                # read through a secondary index return rows another
                # verifier has just decided.
                connection.exec_driver_sql(
                    'SET TRANSACTION ISOLATION LEVEL READ COMMITTED')
            if connection.dialect.name in ('mysql', 'postgresql'):
                token = None
                rows = connection.execute(
                    sa.select(EXISTS).where(self._due(now))
                    .where(EXISTS.c.id > after).order_by(EXISTS.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)).all()
                if not rows:
                    return 0, after
                ids = [row.id for row in rows]
                mine = EXISTS.c.status == PENDING
            else:
                claim = self._claim(connection, now, after)
                if claim is None:
                    return 0, after
                token, ids = claim
                rows = []
                for chunk in chunking.chunks(ids):
                    rows.extend(connection.execute(
                        sa.select(EXISTS).where(EXISTS.c.id.in_(chunk))
                        .where(EXISTS.c.claimed_by == token)
                        .where(EXISTS.c.status == PENDING)).all())
                mine = sa.and_(EXISTS.c.claimed_by == token,
                               EXISTS.c.status == PENDING)
            context = _Context.load(connection, rows)
            verified_ids = []
            failures = []
            for row in rows:
                reason, detail = context.check(row)
                if reason is None:
                    verified_ids.append(row.id)
                    verdicts.append((row, VERIFIED, None, None))
                else:
                    failures.append({'b_id': row.id, 'reason': reason,
                                     'detail': detail})
                    verdicts.append((row, FAILED, reason, detail))
            done = {'verified_at': now, 'claimed_by': None,
                    'claimed_until': None,
                    'attempts': EXISTS.c.attempts + (0 if token else 1)}
            for chunk in chunking.chunks(verified_ids):
                result.verified += connection.execute(
                    EXISTS.update()
                    .where(EXISTS.c.id.in_(chunk))
                    .where(mine)
                    .values(status=VERIFIED, reason=None, detail=None,
                            **done)).rowcount
            if failures:
                connection.execute(
                    EXISTS.update()
                    .where(EXISTS.c.id == sa.bindparam('b_id'))
                    .where(mine)
                    .values(status=FAILED, **done),
                    failures)
                result.failed += len(failures)
                for failure in failures:
                    result.reasons[failure['reason']] = (
                        result.reasons.get(failure['reason'], 0) + 1)
        if self.notifier is not None and verdicts:
            self._notify(verdicts, now, result)
        return len(ids), max(ids)

    def reconcile(self, now, result):
        """Check recent failures again; mark the consistent ones
        reconciled."""
        marker = 0
        since = now - self.reconcile_window
        while True:
            with self.database.writer() as connection:
                rows = connection.execute(
                    sa.select(EXISTS)
                    .where(EXISTS.c.status == FAILED)
                    .where(EXISTS.c.verified_at >= since)
                    .where(EXISTS.c.reason.notin_(_FINAL_REASONS))
                    .where(EXISTS.c.id > marker)
                    .order_by(EXISTS.c.id).limit(self.batch_size)).all()
                if not rows:
                    return
                marker = rows[-1].id
                context = _Context.load(connection, rows)
                fixed = [row for row in rows
                         if context.check(row) == (None, None)]
                for row in fixed:
                    result.reconciled += connection.execute(
                        EXISTS.update()
                        .where(EXISTS.c.id == row.id)
                        .where(EXISTS.c.status == FAILED)
                        .values(status=RECONCILED, verified_at=now,
                                notified_at=None,
                                detail=('was %s' % row.reason)[:255])
                    ).rowcount
            if len(rows) < self.batch_size:
                return

    # -- missing exists ------------------------------------------------

    def check_missing(self, now, result):
        """Report the instances alive during a finished regular audit
        period that have no exists record for it."""
        with self.database.reader() as connection:
            periods = connection.execute(
                sa.select(PERIODS)
                .where(PERIODS.c.ending <= now - self.settle_delay)
                .order_by(PERIODS.c.ending)).all()
        for period in periods:
            with self.database.writer() as connection:
                if not self._period_due(connection, period, now):
                    continue
                result.missing += self._check_period(connection, period,
                                                     now)
                result.periods_checked += 1

    def _period_due(self, connection, period, now):
        latest = connection.execute(
            sa.select(sa.func.max(EXISTS.c.received_at))
            .where(EXISTS.c.audit_period_beginning == period.beginning)
            .where(EXISTS.c.audit_period_ending == period.ending)).scalar()
        if latest is None:
            return False
        if latest > now - self.settle_delay:
            # The audit is still sending its exists records.
            return False
        return period.checked_at is None or latest > period.checked_at

    def _check_period(self, connection, period, now):
        beginning, ending = period.beginning, period.ending
        covered = sa.exists().where(sa.and_(
            EXISTS.c.resource_id == LAUNCHES.c.instance_id,
            EXISTS.c.resource_type == 'instance',
            EXISTS.c.audit_period_beginning < ending,
            EXISTS.c.audit_period_ending > beginning))
        deleted_before = sa.exists().where(sa.and_(
            DELETES.c.resource_type == 'instance',
            DELETES.c.resource_id == LAUNCHES.c.instance_id,
            DELETES.c.deleted_at <= beginning))
        # Launches reported by exists records alone count only for the
        # instances that sent nothing else (as in the usage report).
        other = LAUNCHES.alias('other')
        better_known = sa.exists().where(sa.and_(
            other.c.instance_id == LAUNCHES.c.instance_id,
            other.c.evidence < extract.EVIDENCE_EXISTS))
        trusted = sa.or_(LAUNCHES.c.evidence < extract.EVIDENCE_EXISTS,
                         ~better_known)
        alive = connection.execute(
            sa.select(LAUNCHES.c.instance_id,
                      sa.func.max(LAUNCHES.c.project_id).label('project_id'),
                      sa.func.max(LAUNCHES.c.launched_at).label(
                          'launched_at'))
            .where(LAUNCHES.c.effective_at < ending)
            .where(trusted)
            .where(~deleted_before)
            .where(~covered)
            .group_by(LAUNCHES.c.instance_id)).all()
        found = {row.instance_id: row for row in alive}
        period_rows = sa.and_(MISSING.c.audit_period_beginning == beginning,
                              MISSING.c.audit_period_ending == ending)
        known = set(connection.execute(
            sa.select(MISSING.c.instance_id).where(period_rows)).scalars())
        gone = sorted(known - set(found))
        for chunk in chunking.chunks(gone):
            connection.execute(MISSING.delete().where(period_rows).where(
                MISSING.c.instance_id.in_(chunk)))
        upsert.insert_ignore(connection, MISSING, [
            {'instance_id': row.instance_id, 'project_id': row.project_id,
             'launched_at': row.launched_at,
             'audit_period_beginning': beginning,
             'audit_period_ending': ending, 'detected_at': now}
            for instance_id, row in sorted(found.items())
            if instance_id not in known])
        connection.execute(PERIODS.update().where(PERIODS.c.id == period.id)
                           .values(checked_at=now, missing=len(found)))
        if found:
            LOG.warning('%d instances alive during the audit period %s - %s '
                        'have no exists record', len(found), beginning,
                        ending)
        return len(found)

    # -- notifications -------------------------------------------------

    def _notify(self, verdicts, now, result):
        ids = self.notifier.send(self.database, verdicts)
        if ids:
            with self.database.writer() as connection:
                for chunk in chunking.chunks(ids):
                    connection.execute(
                        EXISTS.update()
                        .where(EXISTS.c.id.in_(chunk))
                        .values(notified_at=now))
            result.notified += len(ids)

    def notify_backlog(self, now, result):
        """Send the verdicts that could not be sent when they were made
        (a broker outage): older than a claim, so that the verifier that
        made them had its chance."""
        with self.database.reader() as connection:
            rows = connection.execute(
                sa.select(EXISTS)
                .where(EXISTS.c.status.in_((VERIFIED, FAILED, RECONCILED)))
                .where(EXISTS.c.notified_at.is_(None))
                .where(EXISTS.c.verified_at < now - self.claim_timeout)
                .order_by(EXISTS.c.id).limit(self.batch_size)).all()
        if rows:
            self._notify([(row, row.status, row.reason, row.detail)
                          for row in rows], now, result)


class _Context:
    """The launches, sizes and deletions a batch of exists is checked
    against, loaded with a few bulk queries."""

    def __init__(self, launches, storage, deletes):
        self.launches = launches
        self.storage = storage
        self.deletes = deletes

    @classmethod
    def load(cls, connection, rows):
        instances = sorted({row.resource_id for row in rows
                            if row.resource_type == 'instance'})
        others = sorted({row.resource_id for row in rows
                         if row.resource_type != 'instance'})
        launches = collections.defaultdict(list)
        storage = collections.defaultdict(list)
        deletes = {}
        for chunk in chunking.chunks(instances):
            for launch in connection.execute(
                    sa.select(LAUNCHES)
                    .where(LAUNCHES.c.instance_id.in_(chunk))
                    .order_by(LAUNCHES.c.effective_at)):
                launches[launch.instance_id].append(launch)
        for chunk in chunking.chunks(others):
            for segment in connection.execute(
                    sa.select(STORAGE)
                    .where(STORAGE.c.resource_id.in_(chunk))
                    .order_by(STORAGE.c.started_at)):
                storage[(segment.resource_type,
                         segment.resource_id)].append(segment)
        for chunk in chunking.chunks(instances + others):
            for delete in connection.execute(
                    sa.select(DELETES)
                    .where(DELETES.c.resource_id.in_(chunk))):
                deletes[(delete.resource_type, delete.resource_id)] = delete
        return cls(launches, storage, deletes)

    def check(self, row):
        key = (row.resource_type, row.resource_id)
        return checks.check(row, self.launches.get(row.resource_id, []),
                            self.storage.get(key, []),
                            self.deletes.get(key))


