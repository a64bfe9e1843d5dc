import collections
import datetime

import pytest

from stacktach_ng.common import jsonutils
from stacktach_ng.common import timestamps
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import normalize
from stacktach_ng.simulator import engine

RECEIVED = datetime.datetime(2030, 1, 1)


def _lines(**options):
    sim = engine.Simulator(**options)
    return [jsonutils.dumps(body) for body in sim.messages(count=3000)]


def test_same_seed_same_bytes():
    first = _lines(seed=5, fmt='mixed', with_tokens=True)
    second = _lines(seed=5, fmt='mixed', with_tokens=True)
    assert first == second


def test_different_seed_different_output():
    first = _lines(seed=5)
    second = _lines(seed=6)
    assert first != second
    ids_first = {jsonutils.loads(line)['message_id'] for line in first}
    ids_second = {jsonutils.loads(line)['message_id'] for line in second}
    assert not ids_first & ids_second


def test_message_ids_unique(default_run):
    ids = [n.body['message_id'] for n in default_run.notifications]
    assert len(ids) == len(set(ids))


def test_count_is_exact_and_stream_continues():
    sim = engine.Simulator(seed=3)
    first = list(sim.messages(count=250))
    second = list(sim.messages(count=250))
    assert len(first) == 250 and len(second) == 250
    whole = engine.sample_messages(500, seed=3)
    assert [b['message_id'] for b in first + second] == [
        b['message_id'] for b in whole]
    assert sim.truth.messages == 500


def test_duration_bounds_the_simulated_time():
    start = datetime.datetime(2026, 3, 1, 12, 0, 0)
    sim = engine.Simulator(seed=9, start=start)
    bodies = list(sim.messages(duration=datetime.timedelta(minutes=10)))
    assert bodies
    moments = [timestamps.parse(b['timestamp']) for b in bodies]
    assert min(moments) >= start
    assert max(moments) <= start + datetime.timedelta(minutes=10)
    # Seconds work too, and continue from where the clock stopped.
    more = list(sim.messages(duration=120))
    later = [timestamps.parse(b['timestamp']) for b in more]
    assert min(later) > max(moments)
    assert max(later) <= start + datetime.timedelta(minutes=12)


def test_messages_in_time_order(legacy_run):
    moments = [n.time for n in legacy_run.notifications]
    assert moments == sorted(moments)
    for n in legacy_run.notifications[:2000]:
        assert timestamps.parse(n.body['timestamp']) == n.time


def test_wire_v1_body_shape(legacy_run):
    for n in legacy_run.notifications[:500]:
        body = n.body
        for key in ('message_id', 'publisher_id', 'event_type', 'priority',
                    'payload', 'timestamp', '_unique_id'):
            assert key in body
        assert body['priority'] in ('INFO', 'ERROR')
        # The envelope form: '2026-01-01 10:00:00.123456' (or no
        # fraction when the microseconds are 0).
        text = body['timestamp']
        assert text[10] == ' ' and len(text) in (19, 26)
        if n.service == 'glance':
            assert not [k for k in body if k.startswith('_context_')]
            assert body['publisher_id'] == 'image.localhost'
        else:
            assert body['_context_request_id'].startswith('req-')
            assert body['_context_project_id']
            assert body['_context_user_id']
            assert isinstance(body['_context_roles'], list)
            assert '_context_auth_token' not in body


def test_tokens_only_when_asked():
    bodies = engine.sample_messages(200, seed=1, with_tokens=True)
    with_token = [b for b in bodies if '_context_auth_token' in b]
    assert with_token
    assert all(b['_context_auth_token'] for b in with_token)
    nova = [b for b in bodies if b['publisher_id'].startswith('compute.')]
    assert all('_context_service_catalog' in b for b in nova)


def test_every_message_normalizes_to_its_resource(legacy_run, both_run):
    for run in (legacy_run, both_run):
        for n in run.notifications:
            record = normalize.normalize(forms.to_envelope(n.body),
                                         RECEIVED)
            row = record.row
            assert row['message_id'] == n.body['message_id']
            assert row['event_type'] == n.body['event_type']
            assert row['resource_id'] == n.resource_id, n.body['event_type']
            if n.resource_id is not None:
                assert row['resource_type'] == n.resource_type
            if n.service == 'nova' and n.operation is not None:
                assert row['request_id'] == n.operation.request_id


def test_versioned_payloads_normalize():
    sim = engine.Simulator(seed=4, fmt='versioned', failure_rate=0.3)
    for n in sim.notifications(count=3000):
        if n.service != 'nova':
            continue
        assert n.format == 'versioned'
        assert ':' in n.body['publisher_id']
        assert 'nova_object.data' in n.body['payload']
        record = normalize.normalize(forms.to_envelope(n.body), RECEIVED)
        assert record.row['object_name'] == \
            n.body['payload']['nova_object.name']
        assert record.row['resource_id'] == n.resource_id


def test_both_sends_each_nova_event_twice(both_run):
    nova = [n for n in both_run.notifications if n.service == 'nova']
    legacy = [n for n in nova if n.format == 'legacy']
    versioned = [n for n in nova if n.format == 'versioned']
    # The last event of the run may have been cut between its copies.
    assert abs(len(legacy) - len(versioned)) <= 1
    by_time = {n.time: n for n in versioned}
    lag = datetime.timedelta(microseconds=350)
    pairs = 0
    for n in legacy[:-1]:
        if n.body['event_type'] == 'compute_task.build_instances':
            # nova builds this versioned copy separately, ~150 ms later.
            twin = [v for v in versioned
                    if v.body['event_type'] ==
                    'compute_task.build_instances.error' and
                    v.resource_id == n.resource_id][0]
            assert datetime.timedelta(milliseconds=100) <= \
                twin.time - n.time <= datetime.timedelta(milliseconds=200)
        else:
            twin = by_time[n.time + lag]
        assert twin.body['message_id'] != n.body['message_id']
        assert twin.resource_id in (n.resource_id, None)
        assert twin.body['_context_request_id'] == \
            n.body['_context_request_id']
        assert n.body['publisher_id'].split('.', 1)[1] == \
            twin.body['publisher_id'].split(':', 1)[1]
        if n.body['event_type'] == 'compute.instance.update':
            assert twin.body['event_type'] == 'instance.update'
        pairs += 1
    assert pairs > 1000


def test_mixed_formats_per_host():
    sim = engine.Simulator(seed=12, fmt='mixed', hosts=12)
    formats = collections.defaultdict(set)
    for n in sim.notifications(count=4000):
        if n.service == 'nova':
            publisher = n.body['publisher_id']
            host = publisher.split(':', 1)[1] if ':' in publisher else \
                publisher.split('.', 1)[1]
            formats[host].add(n.format)
    kinds = {frozenset(found) for found in formats.values()}
    assert frozenset(['legacy']) in kinds
    assert frozenset(['versioned']) in kinds
    assert frozenset(['legacy', 'versioned']) in kinds


def test_traffic_mix_like_production(default_run):
    counts = collections.Counter(n.body['event_type']
                                 for n in default_run.notifications)
    total = len(default_run.notifications)
    share = counts['compute.instance.update'] / total
    assert 0.55 <= share <= 0.80
    sizes = [len(jsonutils.dumps(n.body)) for n in default_run.notifications]
    mean = sum(sizes) / len(sizes)
    assert 1500 <= mean <= 4000
    services = collections.Counter(n.service
                                   for n in default_run.notifications)
    assert set(services) == {'nova', 'glance', 'cinder', 'neutron'}


def test_operations_interleave(default_run):
    # Requests overlap in time: the stream is not one operation after
    # the other.
    open_ops = set()
    overlapping = 0
    for n in default_run.notifications:
        op = n.operation
        if op is None:
            continue
        if op.first_at == n.time:
            if open_ops:
                overlapping += 1
            open_ops.add(op.id)
        if op.last_at == n.time:
            open_ops.discard(op.id)
    assert overlapping > 100


def test_failures_and_stuck_follow_the_rates():
    calm = engine.Simulator(seed=8, failure_rate=0.0, stuck_rate=0.0)
    list(calm.messages(count=5000))
    outcomes = collections.Counter(op.outcome for op in
                                   calm.truth.operations.values())
    assert outcomes['error'] == 0 and outcomes['stuck'] == 0
    rough = engine.Simulator(seed=8, failure_rate=0.5, stuck_rate=0.1)
    list(rough.messages(count=5000))
    outcomes = collections.Counter(op.outcome for op in
                                   rough.truth.operations.values())
    assert outcomes['error'] > 10 and outcomes['stuck'] > 5


@pytest.mark.parametrize('options', [
    {'fmt': 'xml'}, {'failure_rate': 1.5}, {'stuck_rate': -0.1},
    {'projects': 0}, {'hosts': 0}, {'audit_period': 'week'},
    {'audit_period': datetime.timedelta(minutes=7)},
    {'audit_period': datetime.timedelta(0)}])
def test_bad_options(options):
    with pytest.raises(ValueError):
        engine.Simulator(**options)


def test_realtime_paces_on_the_clock():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    sim = engine.Simulator(seed=2, realtime=True, sleep=sleep,
                           clock=lambda: now[0])
    wall = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((sim.start - wall).total_seconds()) < 5
    bodies = list(sim.messages(count=50))
    last = timestamps.parse(bodies[-1]['timestamp'])
    elapsed = (last - sim.start).total_seconds()
    # The output took as long, on the clock, as the simulated time.
    assert now[0] - 100.0 == pytest.approx(elapsed, abs=1e-3)
    assert slept


def test_event_family():
    assert engine.event_family('compute.instance.create.end') == \
        'compute.instance.create'
    assert engine.event_family('compute.instance.update') == \
        'compute.instance.update'


def test_a_short_audit_period_audits_within_minutes():
    start = datetime.datetime(2026, 1, 1, 12, 1, 30)
    sim = engine.Simulator(seed=4, start=start, projects=2, hosts=2,
                           audit_period=datetime.timedelta(minutes=5))
    periods = set()
    for notification in sim.notifications(
            duration=datetime.timedelta(minutes=11)):
        envelope = forms.to_envelope(notification.body)
        if not envelope['event_type'].endswith('exists'):
            continue
        payload = envelope['payload']
        data = payload.get('nova_object.data', payload)
        periods.add(timestamps.parse(data['audit_period_beginning']))
    # Periods start on multiples of five minutes; the first audit (of
    # 12:00-12:05) comes minutes after the start, not at the next hour.
    assert datetime.datetime(2026, 1, 1, 12, 0) in periods
    assert datetime.datetime(2026, 1, 1, 12, 5) in periods
    assert all(moment.minute % 5 == 0 and moment.second == 0
               for moment in periods)
