"""The pure parts of the ingest benchmark."""

import json

import pytest

from tests.perf import ingest


def test_kombu_url_of_a_rabbit_transport_url():
    assert (ingest.kombu_url('rabbit://guest:guest@127.0.0.1:5672/')
            == 'amqp://guest:guest@127.0.0.1:5672/')
    with pytest.raises(ValueError):
        ingest.kombu_url('kafka://127.0.0.1:9092')


def test_workload_is_what_the_messagingv2_driver_publishes():
    workload = ingest.build_workload(30, seed=3)
    assert len(workload) == 30
    unique_ids = set()
    for service, priority, wire in workload:
        envelope = json.loads(wire)
        assert envelope['oslo.version'] == '2.0'
        body = json.loads(envelope['oslo.message'])
        assert body['priority'].lower() == priority
        assert service in ingest.SERVICES
        unique_ids.add(body['_unique_id'])
    # A fresh _unique_id per message, or the consumer drops repeats.
    assert len(unique_ids) == 30
    # Same seed, same messages (the ids aside).
    again = ingest.build_workload(30, seed=3)
    assert ([json.loads(json.loads(w)['oslo.message'])['message_id']
             for _s, _p, w in again]
            == [json.loads(json.loads(w)['oslo.message'])['message_id']
                for _s, _p, w in workload])


def test_bus_names_are_unique_per_measurement():
    first = ingest.Bus('rabbit://guest:guest@127.0.0.1:5672/')
    second = ingest.Bus('rabbit://guest:guest@127.0.0.1:5672/')
    assert first.topic != second.topic
    assert first.queues[0] == first.topic + '.audit'
    assert len(first.queues) == 7
    assert set(first.exchanges) == set(ingest.SERVICES)
    assert not set(first.exchanges.values()) & set(
        second.exchanges.values())


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
