"""The verifier's pass loop, and passes over a SQLite database: claims,
verdicts, reconciliation and missing exists (the checks themselves are
``test_checks``; every backend is the functional tests' part)."""

import datetime

import pytest
import sqlalchemy as sa
from oslo_db import exception as db_exc

from stacktach_ng.usage import verify
from tests import base


class _Batches(verify.Verifier):
    """verify_batch() answers from a script: a count, or an error."""

    def __init__(self, script):
        conf = base.make_conf('sqlite://', verifier={'reconcile_window': 0,
                                                     'batch_size': 10})
        super().__init__(conf, database=None)
        self.script = list(script)
        self.calls = 0

    def verify_batch(self, now, result, after=0):
        self.calls += 1
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        result.verified += step
        return step, after + step

    def check_missing(self, now, result):
        pass


def test_a_deadlocked_batch_is_taken_again():
    verifier = _Batches([10, db_exc.DBDeadlock(), 10, 3])
    result = verifier.run_pass()
    assert verifier.calls == 4
    assert result.verified == 23


def test_the_deadlocks_counted_are_those_of_one_batch():
    # A batch done starts the count again: five deadlocks after it are
    # retried like five deadlocks of the first batch.
    deadlocks = [db_exc.DBDeadlock()
                 for _ in range(verify._DEADLOCK_RETRIES)]
    verifier = _Batches([10, *deadlocks, 3])
    result = verifier.run_pass()
    assert verifier.calls == 2 + verify._DEADLOCK_RETRIES
    assert result.verified == 13


def test_a_batch_that_keeps_deadlocking_ends_the_pass():
    deadlocks = [db_exc.DBDeadlock()
                 for _ in range(verify._DEADLOCK_RETRIES + 1)]
    verifier = _Batches(deadlocks)
    with pytest.raises(db_exc.DBDeadlock):
        verifier.run_pass()
    assert verifier.calls == verify._DEADLOCK_RETRIES + 1


# -- a pass over a SQLite database ------------------------------------------
#
# The rows below are written straight into the usage tables (what the usage
# handler would have stored), so that each verdict follows from the rows of
# the test alone. Times: the pass runs at NOW; an exists received ten
# minutes before NOW is past the settle delay (300 s by default).

NOW = datetime.datetime(2026, 3, 3, 6, 0)
DAY1 = (datetime.datetime(2026, 3, 1), datetime.datetime(2026, 3, 2))
DAY2 = (datetime.datetime(2026, 3, 2), datetime.datetime(2026, 3, 3))
LAUNCHED = datetime.datetime(2026, 3, 1, 10)
SETTLED = NOW - datetime.timedelta(minutes=10)
SECOND = datetime.timedelta(seconds=1)
SETTLE = datetime.timedelta(seconds=300)
GIB = 1024 ** 3


def _verifier(database, notifier=None, **options):
    conf = base.make_conf(None, verifier=options)
    return verify.Verifier(conf, database, notifier)


def _launch(instance, launched_at=LAUNCHED, evidence=0, flavor_id='2',
            effective_at=None, kind='create'):
    effective_at = effective_at or launched_at
    return {
        'instance_id': instance, 'launched_at': launched_at,
        'effective_at': effective_at, 'kind': kind, 'evidence': evidence,
        'project_id': 'p-1', 'user_id': 'u-1', 'flavor_id': flavor_id,
        'flavor_name': 'm1.small', 'instance_type_id': None, 'vcpus': 1,
        'memory_mb': 2048, 'root_gb': 20, 'ephemeral_gb': 0,
        'image_id': 'img-1', 'message_id': 'launch-%s-%s-%s' % (
            instance, evidence, effective_at), 'generated_at': launched_at,
    }


def _storage(resource_type, resource_id, size_bytes):
    return {'resource_type': resource_type, 'resource_id': resource_id,
            'started_at': LAUNCHED, 'created_at': LAUNCHED,
            'kind': 'create' if resource_type == 'volume' else 'upload',
            'project_id': 'p-1', 'size_bytes': size_bytes,
            'volume_type': None, 'message_id': 'storage-' + resource_id,
            'generated_at': LAUNCHED}


def _exists(message_id, instance, received_at=SETTLED, period=DAY2,
            flavor_id='2', **columns):
    beginning, ending = period
    row = {
        'message_id': message_id, 'event_type': 'compute.instance.exists',
        'resource_type': 'instance', 'resource_id': instance,
        'project_id': 'p-1', 'user_id': 'u-1', 'launched_at': LAUNCHED,
        'deleted_at': None, 'audit_period_beginning': beginning,
        'audit_period_ending': ending, 'flavor_id': flavor_id,
        'flavor_name': 'm1.small', 'instance_type_id': None, 'vcpus': 1,
        'memory_mb': 2048, 'root_gb': 20, 'ephemeral_gb': 0,
        'image_id': 'img-1', 'size_bytes': None, 'volume_type': None,
        'generated_at': ending, 'received_at': received_at,
        'status': verify.PENDING, 'reason': None, 'detail': None,
        'verified_at': None, 'attempts': 0, 'claimed_by': None,
        'claimed_until': None, 'notified_at': None,
    }
    row.update(columns)
    return row


def _delete(instance, deleted_at):
    return {'resource_type': 'instance', 'resource_id': instance,
            'project_id': 'p-1', 'launched_at': LAUNCHED,
            'deleted_at': deleted_at, 'terminated_at': deleted_at,
            'message_id': 'delete-' + instance, 'generated_at': deleted_at}


def _insert(database, table, rows):
    with database.writer() as connection:
        connection.execute(table.insert(), rows)


def _exists_rows(database):
    with database.reader() as connection:
        return {row.message_id: row for row in connection.execute(
            sa.select(verify.EXISTS))}


def _verdicts(database):
    return {message_id: (row.status, row.reason)
            for message_id, row in _exists_rows(database).items()}


def test_a_pass_decides_each_settled_exists_once(database):
    _insert(database, verify.LAUNCHES, [
        _launch(instance) for instance in ('i-ok', 'i-fl', 'i-fl2',
                                           'i-edge', 'i-new')])
    _insert(database, verify.STORAGE, [_storage('volume', 'vol-1', 10 * GIB),
                                       _storage('image', 'img-1', 1000)])
    _insert(database, verify.EXISTS, [
        _exists('e-ok', 'i-ok'),
        # Launched with flavor 2: the exists say 3.
        _exists('e-fl', 'i-fl', flavor_id='3'),
        _exists('e-fl2', 'i-fl2', flavor_id='3'),
        _exists('e-nl', 'i-nl'),
        # Within the settle delay: left for a later pass.
        _exists('e-new', 'i-new', received_at=NOW - SETTLE + SECOND),
        # Exactly the settle delay old: due.
        _exists('e-edge', 'i-edge', received_at=NOW - SETTLE),
        # A volume and an image, checked against their sizes.
        _exists('e-vol', 'vol-1', event_type='volume.exists',
                resource_type='volume', size_bytes=10 * GIB),
        _exists('e-img', 'img-1', event_type='image.exists',
                resource_type='image', size_bytes=2000),
    ])
    # Two records a batch: the seven due ones take four batches, and a
    # full batch is followed by another.
    result = _verifier(database, batch_size=2).run_pass(now=NOW)
    assert _verdicts(database) == {
        'e-ok': ('verified', None),
        'e-fl': ('failed', 'flavor_mismatch'),
        'e-fl2': ('failed', 'flavor_mismatch'),
        'e-nl': ('failed', 'no_launch_known'),
        'e-new': ('pending', None),
        'e-edge': ('verified', None),
        'e-vol': ('verified', None),
        'e-img': ('failed', 'size_mismatch'),
    }
    assert (result.verified, result.failed, result.reconciled) == (3, 4, 0)
    assert result.reasons == {'flavor_mismatch': 2, 'no_launch_known': 1,
                              'size_mismatch': 1}
    rows = _exists_rows(database)
    for message_id in ('e-ok', 'e-fl', 'e-nl', 'e-edge', 'e-vol'):
        row = rows[message_id]
        # Claimed once, decided at NOW, the claim released.
        assert (row.attempts, row.verified_at, row.claimed_by,
                row.claimed_until) == (1, NOW, None, None), message_id
    # A failure says what disagrees (checks.check_instance's words).
    assert rows['e-fl'].detail == 'flavor 3, launched with 2'
    assert rows['e-ok'].detail is None
    assert (rows['e-new'].attempts, rows['e-new'].verified_at) == (0, None)
    # A second pass has nothing left to decide.
    again = _verifier(database, batch_size=2).run_pass(now=NOW)
    assert (again.verified, again.failed) == (0, 0)
    assert _exists_rows(database)['e-ok'].attempts == 1


def test_the_launch_in_effect_when_the_period_ends_is_checked(database):
    """A resize, then its revert: the revert keeps the resize's
    launched_at but brings the old flavor back (nova's exists of the day
    says flavor 2). The launches are stored in another order than they
    took effect."""
    resized = datetime.datetime(2026, 3, 2, 8)
    reverted = datetime.datetime(2026, 3, 2, 9)
    _insert(database, verify.LAUNCHES, [
        _launch('i-1', resized, effective_at=reverted, kind='revert'),
        _launch('i-1', resized, flavor_id='3', kind='resize'),
        _launch('i-1')])
    _insert(database, verify.EXISTS, [
        _exists('e-1', 'i-1', launched_at=resized)])
    _verifier(database).run_pass(now=NOW)
    assert _verdicts(database) == {'e-1': ('verified', None)}


def test_a_claim_holds_its_records_until_it_expires(database):
    _insert(database, verify.EXISTS, [_exists('e-1', 'i-1'),
                                      _exists('e-2', 'i-2')])
    verifier = _verifier(database)
    token, ids = verifier.claim(NOW)
    assert len(ids) == 2
    claim = datetime.timedelta(seconds=600)
    for row in _exists_rows(database).values():
        assert (row.status, row.claimed_by, row.claimed_until,
                row.attempts) == ('pending', token, NOW + claim, 1)
    # Held up to its expiry, then taken over (above a cursor: the ids
    # after the first only).
    assert verifier.claim(NOW + claim) is None
    other, taken = verifier.claim(NOW + claim + SECOND, after=min(ids))
    assert other != token and taken == [max(ids)]
    rows = {row.id: row for row in _exists_rows(database).values()}
    assert (rows[max(ids)].claimed_by, rows[max(ids)].attempts) == (other, 2)
    assert (rows[min(ids)].claimed_by, rows[min(ids)].attempts) == (token, 1)


def test_a_live_claim_is_left_and_an_expired_one_taken_over(database):
    _insert(database, verify.LAUNCHES, [
        _launch(instance) for instance in ('i-live', 'i-now', 'i-gone')])
    _insert(database, verify.EXISTS, [
        _exists('e-live', 'i-live', claimed_by='other',
                claimed_until=NOW + SECOND, attempts=1),
        # A claim is good until its expiry: still held at that instant.
        _exists('e-now', 'i-now', claimed_by='other', claimed_until=NOW,
                attempts=1),
        _exists('e-gone', 'i-gone', claimed_by='other',
                claimed_until=NOW - SECOND, attempts=1),
    ])
    result = _verifier(database).run_pass(now=NOW)
    assert _verdicts(database) == {'e-live': ('pending', None),
                                   'e-now': ('pending', None),
                                   'e-gone': ('verified', None)}
    assert result.verified == 1
    rows = _exists_rows(database)
    assert rows['e-gone'].attempts == 2
    assert (rows['e-live'].claimed_by, rows['e-live'].attempts) == (
        'other', 1)


def test_failures_repaired_by_late_notifications_are_reconciled(database):
    _insert(database, verify.EXISTS, [_exists('e-late', 'i-late')])
    first = _verifier(database, reconcile_window=3600).run_pass(now=NOW)
    assert (first.failed, first.reconciled) == (1, 0)
    assert _verdicts(database) == {'e-late': ('failed', 'no_launch_known')}
    # The launch arrives late. Two earlier failures whose launches are
    # known now too: the window (an hour) counts from a failure's
    # verdict, so at its very start the failure is checked again, a
    # second before it is not.
    later = NOW + datetime.timedelta(minutes=5)
    window = datetime.timedelta(hours=1)
    _insert(database, verify.EXISTS, [
        _exists('e-edge', 'i-edge', status=verify.FAILED,
                reason='no_launch_known', verified_at=later - window),
        _exists('e-old', 'i-old', status=verify.FAILED,
                reason='no_launch_known',
                verified_at=later - window - SECOND),
        # Still wrong: it stays failed.
        _exists('e-bad', 'i-bad', status=verify.FAILED,
                reason='flavor_mismatch', verified_at=NOW, flavor_id='3'),
    ])
    _insert(database, verify.LAUNCHES, [
        _launch(instance) for instance in ('i-late', 'i-edge', 'i-old',
                                           'i-bad')])
    # The failure was sent; its reconciliation is news to send again.
    with database.writer() as connection:
        connection.execute(verify.EXISTS.update().values(notified_at=NOW))
    # One record a batch: the reconciliation goes on past a full batch.
    second = _verifier(database, reconcile_window=3600,
                       batch_size=1).run_pass(now=later)
    assert second.reconciled == 2
    assert _verdicts(database) == {
        'e-late': ('reconciled', 'no_launch_known'),
        'e-edge': ('reconciled', 'no_launch_known'),
        'e-old': ('failed', 'no_launch_known'),
        'e-bad': ('failed', 'flavor_mismatch'),
    }
    rows = _exists_rows(database)
    assert (rows['e-late'].verified_at, rows['e-late'].detail,
            rows['e-late'].notified_at) == (later, 'was no_launch_known',
                                            None)
    assert rows['e-bad'].notified_at == NOW


def _missing(database):
    with database.reader() as connection:
        return {row.instance_id: (row.launched_at, row.project_id,
                                  row.audit_period_beginning,
                                  row.audit_period_ending, row.detected_at)
                for row in connection.execute(sa.select(verify.MISSING))}


def _periods(database):
    with database.reader() as connection:
        return {(row.beginning, row.ending): (row.checked_at, row.missing)
                for row in connection.execute(sa.select(verify.PERIODS))}


def test_instances_alive_during_a_period_without_exists_are_missing(
        database):
    beginning, ending = DAY2
    _insert(database, verify.PERIODS, [
        # DAY1 sent no exists at all: its audit has not run, nothing is
        # checked.
        {'beginning': DAY1[0], 'ending': DAY1[1], 'checked_at': None,
         'missing': 0},
        {'beginning': beginning, 'ending': ending, 'checked_at': None,
         'missing': 0}])
    _insert(database, verify.LAUNCHES, [
        _launch('i-covered'), _launch('i-missing'),
        _launch('i-gone'), _launch('i-died-in'),
        # Launched when the period ended: not alive during it.
        _launch('i-after', launched_at=ending),
        _launch('i-just', launched_at=ending - SECOND),
        # Known from an exists of an earlier, irregular period only (one
        # before a resize): that launch counts, nothing better is known.
        _launch('i-exists-only', evidence=2),
        # Its only exists is the next period's.
        _launch('i-next'),
        # An event launch and a later launched_at an exists reported:
        # the event's is the one to go by.
        _launch('i-both'),
        _launch('i-both', launched_at=LAUNCHED + datetime.timedelta(
            hours=1), evidence=2),
    ])
    _insert(database, verify.DELETES, [
        # Deleted when the period began: gone before it.
        _delete('i-gone', beginning),
        _delete('i-died-in', beginning + SECOND),
    ])
    _insert(database, verify.EXISTS, [
        _exists('e-covered', 'i-covered'),
        _exists('e-next', 'i-next', period=(ending, ending + (ending -
                                                          beginning))),
        # Its period (the hours before a resize) ends when DAY2 begins:
        # it does not cover DAY2.
        _exists('e-exists-only', 'i-exists-only',
                period=(beginning - datetime.timedelta(hours=5),
                        beginning)),
    ])
    verifier = _verifier(database)
    result = verifier.run_pass(now=NOW)
    expected = {instance: (launched_at, 'p-1', beginning, ending, NOW)
                for instance, launched_at in (
                    ('i-missing', LAUNCHED), ('i-died-in', LAUNCHED),
                    ('i-just', ending - SECOND), ('i-next', LAUNCHED),
                    ('i-exists-only', LAUNCHED), ('i-both', LAUNCHED))}
    assert _missing(database) == expected
    assert (result.missing, result.periods_checked) == (6, 1)
    assert _periods(database) == {DAY1: (None, 0), DAY2: (NOW, 6)}
    # Nothing new for DAY2: it is not checked again.
    again = verifier.run_pass(now=NOW + SECOND)
    assert (again.missing, again.periods_checked) == (0, 0)
    # A late exists of i-missing: not before the audit has settled.
    arrived = NOW + datetime.timedelta(minutes=1)
    _insert(database, verify.EXISTS, [
        _exists('e-missing', 'i-missing', received_at=arrived)])
    early = verifier.run_pass(now=arrived + SETTLE - SECOND)
    assert early.periods_checked == 0
    settled = verifier.run_pass(now=arrived + SETTLE)
    assert (settled.missing, settled.periods_checked) == (5, 1)
    assert set(_missing(database)) == set(expected) - {'i-missing'}
    assert _periods(database)[DAY2] == (arrived + SETTLE, 5)


def test_the_periods_of_one_pass_add_up(database):
    """Two periods over and settled: both checked in one pass, their
    missing exists counted together. A period is over once its end is
    the settle delay old, not a second later."""
    _insert(database, verify.PERIODS, [
        {'beginning': beginning, 'ending': ending, 'checked_at': None,
         'missing': 0} for beginning, ending in (DAY1, DAY2)])
    _insert(database, verify.LAUNCHES, [_launch('i-a'), _launch('i-b')])
    _insert(database, verify.EXISTS, [
        _exists('e-b1', 'i-b', period=DAY1, received_at=DAY2[1]),
        _exists('e-b2', 'i-b', period=DAY2, received_at=DAY2[1])])
    result = _verifier(database).run_pass(now=DAY2[1] + SETTLE)
    assert (result.missing, result.periods_checked) == (2, 2)
    with database.reader() as connection:
        missing = sorted(
            (row.instance_id, row.audit_period_beginning)
            for row in connection.execute(sa.select(verify.MISSING)))
    assert missing == [('i-a', DAY1[0]), ('i-a', DAY2[0])]


class _Notifier:
    """Sends every verdict but the ones of ``refused`` (a broker that
    failed them); remembers what it sent."""

    def __init__(self, refused=()):
        self.sent = []
        self.refused = set(refused)
        self.databases = set()

    def send(self, database, verdicts):
        self.databases.add(database)
        ids = []
        for row, status, reason, _detail in verdicts:
            if row.message_id in self.refused:
                continue
            self.sent.append((row.message_id, status, reason))
            ids.append(row.id)
        return ids


def test_verdicts_are_sent_and_those_not_sent_are_sent_later(database):
    _insert(database, verify.LAUNCHES, [_launch('i-ok'), _launch('i-ok2')])
    _insert(database, verify.EXISTS, [
        _exists('e-ok', 'i-ok'), _exists('e-nl', 'i-nl'),
        _exists('e-ok2', 'i-ok2')])
    notifier = _Notifier(refused={'e-nl'})
    # A batch a record: each batch's verdicts are sent as it ends.
    result = _verifier(database, notifier, batch_size=1).run_pass(now=NOW)
    assert notifier.sent == [('e-ok', 'verified', None),
                             ('e-ok2', 'verified', None)]
    assert result.notified == 2
    # The notifier reads the original notifications from the database.
    assert notifier.databases == {database}
    rows = _exists_rows(database)
    assert (rows['e-ok'].notified_at, rows['e-nl'].notified_at) == (
        NOW, None)
    # The unsent verdict is sent again once older than a claim (600 s by
    # default), not before.
    claim = datetime.timedelta(seconds=600)
    notifier.refused.clear()
    soon = _verifier(database, notifier).run_pass(now=NOW + claim)
    assert (soon.notified, len(notifier.sent)) == (0, 2)
    late = _verifier(database, notifier).run_pass(now=NOW + claim + SECOND)
    assert late.notified == 1
    assert notifier.sent[2:] == [('e-nl', 'failed', 'no_launch_known')]
    assert _exists_rows(database)['e-nl'].notified_at == (
        NOW + claim + SECOND)


def test_deletions_are_checked_against_the_tracked_ones(database):
    """An instance deleted during the period: its exists says when (to
    the second) or fails; an image without any tracked upload fails."""
    deleted = datetime.datetime(2026, 3, 2, 12, 0, 0, 250000)
    _insert(database, verify.LAUNCHES, [_launch('i-del'), _launch('i-ndl')])
    _insert(database, verify.DELETES, [_delete('i-del', deleted),
                                       _delete('i-ndl', deleted)])
    _insert(database, verify.EXISTS, [
        _exists('e-del', 'i-del', deleted_at=deleted.replace(microsecond=0)),
        # Deleted within the period, yet the exists names no deletion.
        _exists('e-ndl', 'i-ndl'),
        _exists('e-img', 'img-9', event_type='image.exists',
                resource_type='image', size_bytes=1000),
    ])
    result = _verifier(database).run_pass(now=NOW)
    # What the pass reports (the verifier command prints it).
    assert result.as_dict() == {
        'verified': 1, 'failed': 2, 'reconciled': 0, 'periods_checked': 0,
        'missing': 0, 'notified': 0,
        'reasons': {'deleted_at_mismatch': 1, 'no_launch_known': 1}}
    assert _verdicts(database) == {
        'e-del': ('verified', None),
        'e-ndl': ('failed', 'deleted_at_mismatch'),
        'e-img': ('failed', 'no_launch_known'),
    }
