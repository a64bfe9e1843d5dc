"""The verifier's pass loop, and passes over a SQLite database: claims,
verdicts, reconciliation and missing exists (the checks themselves are
``test_checks``; every backend is the functional tests' part)."""

import datetime

import pytest
import sqlalchemy as sa
from oslo_db import exception as db_exc

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
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


@pytest.fixture
def database(tmp_path):
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'v.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    yield database
    database.dispose()


def _verifier(database, notifier=None, **options):
    conf = base.make_conf(None, verifier=options)
    return verify.Verifier(conf, database, notifier)


def _launch(instance, launched_at=LAUNCHED, evidence=0, flavor_id='2'):
    return {
        'instance_id': instance, 'launched_at': launched_at,
        'effective_at': launched_at, 'kind': 'create', 'evidence': evidence,
        'project_id': 'p-1', 'user_id': 'u-1', 'flavor_id': flavor_id,
        'flavor_name': 'm1.small', 'instance_type_id': None, 'vcpus': 1,
        'memory_mb': 2048, 'root_gb': 20, 'ephemeral_gb': 0,
        'image_id': 'img-1', 'message_id': 'launch-%s-%s' % (
            instance, evidence), 'generated_at': launched_at,
    }


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
    _insert(database, verify.LAUNCHES, [_launch('i-ok'), _launch('i-fl'),
                                        _launch('i-edge'),
                                        _launch('i-new')])
    _insert(database, verify.EXISTS, [
        _exists('e-ok', 'i-ok'),
        # Launched with flavor 2: the exists says 3.
        _exists('e-fl', 'i-fl', flavor_id='3'),
        _exists('e-nl', 'i-nl'),
        # Within the settle delay: left for a later pass.
        _exists('e-new', 'i-new', received_at=NOW - SETTLE + SECOND),
        # Exactly the settle delay old: due.
        _exists('e-edge', 'i-edge', received_at=NOW - SETTLE),
    ])
    # Two records a batch: the four due ones take two full batches, and
    # a full batch is followed by another.
    result = _verifier(database, batch_size=2).run_pass(now=NOW)
    assert _verdicts(database) == {
        'e-ok': ('verified', None),
        'e-fl': ('failed', 'flavor_mismatch'),
        'e-nl': ('failed', 'no_launch_known'),
        'e-new': ('pending', None),
        'e-edge': ('verified', None),
    }
    assert (result.verified, result.failed, result.reconciled) == (2, 2, 0)
    assert result.reasons == {'flavor_mismatch': 1, 'no_launch_known': 1}
    rows = _exists_rows(database)
    for message_id in ('e-ok', 'e-fl', 'e-nl', 'e-edge'):
        row = rows[message_id]
        # Claimed once, decided at NOW, the claim released.
        assert (row.attempts, row.verified_at, row.claimed_by,
                row.claimed_until) == (1, NOW, None, None), message_id
    assert (rows['e-new'].attempts, rows['e-new'].verified_at) == (0, None)
    # A second pass has nothing left to decide.
    again = _verifier(database, batch_size=2).run_pass(now=NOW)
    assert (again.verified, again.failed) == (0, 0)
    assert _exists_rows(database)['e-ok'].attempts == 1


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
    ])
    _insert(database, verify.LAUNCHES, [
        _launch(instance) for instance in ('i-late', 'i-edge', 'i-old')])
    # One record a batch: the reconciliation goes on past a full batch.
    second = _verifier(database, reconcile_window=3600,
                       batch_size=1).run_pass(now=later)
    assert second.reconciled == 2
    assert _verdicts(database) == {
        'e-late': ('reconciled', 'no_launch_known'),
        'e-edge': ('reconciled', 'no_launch_known'),
        'e-old': ('failed', 'no_launch_known'),
    }
    late = _exists_rows(database)['e-late']
    assert (late.verified_at, late.detail) == (later, 'was no_launch_known')


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
                    ('i-just', ending - SECOND),
                    ('i-exists-only', LAUNCHED), ('i-both', LAUNCHED))}
    assert _missing(database) == expected
    assert (result.missing, result.periods_checked) == (5, 1)
    assert _periods(database) == {DAY1: (None, 0), DAY2: (NOW, 5)}
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
    assert (settled.missing, settled.periods_checked) == (4, 1)
    assert set(_missing(database)) == set(expected) - {'i-missing'}
    assert _periods(database)[DAY2] == (arrived + SETTLE, 4)


class _Notifier:
    """Sends every verdict but the ones of ``refused`` (a broker that
    failed them); remembers what it sent."""

    def __init__(self, refused=()):
        self.sent = []
        self.refused = set(refused)

    def send(self, database, verdicts):
        ids = []
        for row, status, reason, _detail in verdicts:
            if row.message_id in self.refused:
                continue
            self.sent.append((row.message_id, status, reason))
            ids.append(row.id)
        return ids


def test_verdicts_are_sent_and_those_not_sent_are_sent_later(database):
    _insert(database, verify.LAUNCHES, [_launch('i-ok')])
    _insert(database, verify.EXISTS, [
        _exists('e-ok', 'i-ok'), _exists('e-nl', 'i-nl')])
    notifier = _Notifier(refused={'e-nl'})
    result = _verifier(database, notifier).run_pass(now=NOW)
    assert notifier.sent == [('e-ok', 'verified', None)]
    assert result.notified == 1
    rows = _exists_rows(database)
    assert (rows['e-ok'].notified_at, rows['e-nl'].notified_at) == (
        NOW, None)
    # The unsent verdict is sent again once older than a claim (600 s by
    # default), not before.
    claim = datetime.timedelta(seconds=600)
    notifier.refused.clear()
    soon = _verifier(database, notifier).run_pass(now=NOW + claim)
    assert (soon.notified, len(notifier.sent)) == (0, 1)
    late = _verifier(database, notifier).run_pass(now=NOW + claim + SECOND)
    assert late.notified == 1
    assert notifier.sent[1:] == [('e-nl', 'failed', 'no_launch_known')]
    assert _exists_rows(database)['e-nl'].notified_at == (
        NOW + claim + SECOND)
