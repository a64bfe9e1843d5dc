"""The pure parts of the ingest benchmark."""

import pytest

from tests.perf import broker
from tests.perf import ingest
from tests.perf import publisher


def test_kombu_url_of_a_rabbit_transport_url():
    assert (broker.kombu_url('rabbit://guest:guest@127.0.0.1:5672/')
            == 'amqp://guest:guest@127.0.0.1:5672/')
    with pytest.raises(ValueError):
        broker.kombu_url('kafka://127.0.0.1:9092')


def test_queue_types_set_the_options_producers_and_consumers_share():
    assert broker.rabbit_options('durable') == {'amqp_durable_queues': True}
    quorum = broker.rabbit_options('quorum')
    assert quorum['rabbit_quorum_queue'] is True
    assert quorum['rabbit_quorum_delivery_limit'] > 0
    assert broker.rabbit_options('transient') == {
        'amqp_durable_queues': False}
    with pytest.raises(ValueError):
        broker.rabbit_options('stream')


def test_workload_file_holds_the_simulated_bodies(tmp_path):
    path = str(tmp_path / 'w.jsonl')
    per_service = publisher.write_workload(path, 30, seed=3)
    assert sum(per_service.values()) == 30
    items = list(publisher.read_workload(path))
    assert len(items) == 30
    for service, body in items:
        assert service in ingest.SERVICES
        assert body['event_type'] and body['priority']
    assert len(list(publisher.read_workload(path, limit=7))) == 7
    # Same seed, same messages.
    again = str(tmp_path / 'again.jsonl')
    publisher.write_workload(again, 30, seed=3)
    assert list(publisher.read_workload(again)) == items


def test_publisher_shares_split_the_workload():
    class Recorder:
        def __init__(self):
            self.sent = []

        def publish(self, service, body):
            self.sent.append(body['n'])

    items = [('nova', {'n': number}) for number in range(10)]
    seen = []
    for number in range(3):
        recorder = Recorder()
        assert publisher.publish(recorder, items, (number, 3)) == len(
            recorder.sent)
        seen.extend(recorder.sent)
    assert sorted(seen) == list(range(10))


def test_bus_names_are_unique_per_measurement():
    first = ingest.Bus('rabbit://guest:guest@127.0.0.1:5672/')
    second = ingest.Bus('rabbit://guest:guest@127.0.0.1:5672/', 'quorum')
    assert first.topic != second.topic
    assert first.queues[0] == first.topic + '.audit'
    assert len(first.queues) == 7
    assert set(first.exchanges) == set(ingest.SERVICES)
    assert not set(first.exchanges.values()) & set(
        second.exchanges.values())
    assert first.queue_type == 'durable'
    assert second.rabbit_options()['rabbit_quorum_queue'] is True


def test_rounds_alternate_their_order():
    plan = [('noop', 1), ('listener', 1), ('ceilometer', 1)]
    assert ingest.round_order(plan, 0) == plan
    assert ingest.round_order(plan, 1) == list(reversed(plan))
    assert ingest.round_order(plan, 2) == plan


def test_ratios_are_taken_within_each_round():
    listener = [{'round': 1, 'rate': 90.0}, {'round': 2, 'rate': 50.0},
                {'round': 3, 'rate': None}]
    noop = [{'round': 1, 'rate': 100.0}, {'round': 2, 'rate': 200.0},
            {'round': 3, 'rate': 100.0}]
    assert ingest.same_round_ratios(listener, noop) == [0.9, 0.25]


def test_soak_spread_counts_only_samples_after_warm_up():
    trace = [ingest.trace_sample(moment, 1, {1: kib, 2: 50 * 1024},
                                 kib + 50 * 1024, handled)
             for moment, kib, handled in ((0, 10 * 1024, 0),
                                          (1, 100 * 1024, 20),
                                          (2, 105 * 1024, 60),
                                          (3, 100 * 1024, 100))]
    assert trace[0]['rss_mib'] == {'listener': 10.0, 'store 1': 50.0}
    figures = ingest.soak_figures(trace, 100, warm_up=0.1)
    assert figures['soak_samples_after_warm_up'] == 3
    listener = figures['soak_spreads']['rss listener']
    assert (listener['low_mib'], listener['high_mib']) == (100.0, 105.0)
    assert listener['spread'] == 0.05
    assert figures['soak_spreads']['rss store 1']['spread'] == 0.0


def test_memory_figures_max_and_growth_from_ten_percent():
    # A run from t=100 to t=200, sampled every 10 s: 50 MiB at the 10%
    # mark (t=110), 60 MiB at the end; the start-up sample is ignored.
    samples = [(95.0, 10 * 1024)] + [
        (100.0 + 10 * n, (40 + n) * 1024) for n in range(11)]
    samples[2] = (110.0, 50 * 1024)
    samples[-1] = (200.0, 60 * 1024)
    figures = ingest.memory_figures(samples, 100.0, 200.0)
    assert figures['rss_at_10pct_mib'] == 50.0
    assert figures['rss_at_end_mib'] == 60.0
    assert figures['rss_growth_mib'] == 10.0
    assert figures['rss_max_mib'] == 60.0


def test_memory_figures_without_samples():
    figures = ingest.memory_figures([(1.0, 1024)], 10.0, 20.0)
    assert figures['rss_max_mib'] is None
    assert figures['rss_growth_mib'] is None


def test_soak_trace_is_written_as_it_comes(tmp_path):
    path = str(tmp_path / 'soak.jsonl')
    trace = ingest.TraceFile(path, {'count': 10, 'warm_up': 0.1})
    trace.append({'handled': 1})
    # Readable before the soak ends (a stopped soak keeps its curve).
    assert ingest.read_trace(path) == ({'count': 10, 'warm_up': 0.1},
                                       [{'handled': 1}])
    trace.append({'handled': 2})
    trace.close()
    assert list(trace) == [{'handled': 1}, {'handled': 2}]
    assert ingest.read_trace(path)[1] == [{'handled': 1}, {'handled': 2}]
