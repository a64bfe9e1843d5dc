"""One audit record, one row, one verdict: nova's legacy and versioned
copies of an exists (``notification_format = both``), in any order and
in separate batches, on every backend."""

import collections
import datetime

import pytest
import sqlalchemy as sa

from stacktach_ng.queries import usage as usage_queries
from stacktach_ng.simulator import engine
from stacktach_ng.usage import extract
from stacktach_ng.usage import store
from tests.functional.usage import base
from tests.unit.usage import messages as m

P1 = 'project-1'
DAY2 = (m.day(2), m.day(3))
LAUNCHED = m.day(1, 10, 0, 0, 123456)


@pytest.fixture
def usage(migrated_conf):
    db = base.UsageDB(migrated_conf)
    yield db
    db.close()


def _twins(instance, at, beginning, ending, micro=False):
    """The legacy and versioned copies nova sends of one exists; the
    legacy one writes the period's microseconds (``micro``), the
    versioned one never does."""
    legacy = m.legacy('compute.instance.exists', instance, P1, at,
                      launched_at=LAUNCHED,
                      audit_period_beginning=m.text(beginning),
                      audit_period_ending=m.text(ending, micro),
                      bandwidth={})
    versioned = m.versioned('instance.exists', instance, P1,
                            at + datetime.timedelta(milliseconds=3),
                            launched_at=LAUNCHED.replace(microsecond=0),
                            audit_period=(beginning, ending))
    return legacy, versioned


def _listed(usage):
    with usage.database.reader() as connection:
        exists, _ = usage_queries.list_exists(connection, limit=100)
        verdicts, _ = usage_queries.list_verifications(connection,
                                                       limit=100)
        summary = usage_queries.verification_summary(connection)
    return exists, verdicts, summary


@pytest.mark.parametrize('legacy_first', [True, False])
def test_twins_are_one_record_verified_once(usage, legacy_first):
    boot = m.legacy('compute.instance.create.end', 'i-1', P1, LAUNCHED,
                    launched_at=LAUNCHED, micro=True, message='Success')
    audit = _twins('i-1', m.day(3, 0, 5), *DAY2)
    # The exists nova sends before a resize ends at that moment: another
    # audit record, whose legacy copy has the microseconds.
    resize_end = m.day(2, 15, 30, 12, 654321)
    resize = _twins('i-1', resize_end, m.day(2), resize_end, micro=True)
    order = [0, 1] if legacy_first else [1, 0]
    usage.load([boot])
    for index in order:
        usage.load([audit[index], resize[index]])
    # A redelivery of both copies, in one batch, changes nothing.
    usage.load([audit[1], audit[0]])

    result = usage.verifier().run_pass()
    assert (result.verified, result.failed) == (2, 0)
    assert usage.exists() == {audit[0]['message_id']: ('verified', None),
                              resize[0]['message_id']: ('verified', None)}
    exists, verdicts, summary = _listed(usage)
    assert sorted(item['message_id'] for item in exists) == sorted(
        [audit[0]['message_id'], resize[0]['message_id']])
    assert {item['event_type'] for item in exists} == {
        'compute.instance.exists'}
    assert len(verdicts) == 2
    assert summary['statuses']['verified'] == 2
    assert summary['missing'] == 0
    # The copies that came later change nothing either.
    usage.load(list(audit) + list(resize))
    assert usage.verifier().run_pass().verified == 0
    assert usage.count(store.EXISTS) == 2


def test_a_decided_record_keeps_its_verdict(usage):
    boot = m.legacy('compute.instance.create.end', 'i-1', P1, LAUNCHED,
                    launched_at=LAUNCHED, micro=True, message='Success')
    legacy, versioned = _twins('i-1', m.day(3, 0, 5), *DAY2)
    usage.load([boot, versioned])
    assert usage.verifier().run_pass().verified == 1
    usage.load([legacy])
    assert usage.verifier().run_pass().verified == 0
    assert usage.exists() == {versioned['message_id']: ('verified', None)}


def _key(kind, resource_id, beginning, ending):
    return (kind, resource_id, extract.to_second(beginning),
            extract.to_second(ending))


def test_both_formats_are_audited_once(usage):
    """A day of nova sending both formats: one exists row per audit
    record of the simulator's ground truth, each decided once."""
    simulator = engine.Simulator(seed=11, fmt='both', audit_period='hour',
                                 projects=2, hosts=2, ops_per_hour=20,
                                 instances_per_project=3)
    bodies = list(simulator.messages(
        duration=datetime.timedelta(hours=5)))
    for start in range(0, len(bodies), 400):
        usage.load(bodies[start:start + 400])
    truth = collections.Counter(
        _key(record['kind'], record['resource_id'],
             record['audit_period_beginning'],
             record['audit_period_ending'])
        for record in simulator.truth.exists)
    assert truth and max(truth.values()) == 1
    versioned = sum(1 for body in bodies
                    if body['event_type'] == 'instance.exists')
    assert versioned > 10
    rows = usage.rows(store.EXISTS)
    assert collections.Counter(
        _key(row.resource_type, row.resource_id, row.audit_period_beginning,
             row.audit_period_ending) for row in rows) == truth
    assert 'instance.exists' not in {row.event_type for row in rows}
    result = usage.verifier().run_pass()
    assert result.verified + result.failed == len(rows)
    with usage.database.reader() as connection:
        images = connection.execute(
            sa.select(store.EXISTS.c.status, store.EXISTS.c.reason)
            .where(store.EXISTS.c.resource_type == 'image')).all()
    # Images the listener never saw uploaded verify too.
    assert images and set(images) == {('verified', None)}
