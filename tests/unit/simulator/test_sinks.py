import json

import pytest

from stacktach_ng.pipeline import forms
from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks


@pytest.fixture(scope='module')
def bodies():
    return engine.sample_messages(300, seed=21, fmt='both')


@pytest.mark.parametrize('form', sinks.FORMS)
def test_every_form_reads_back_as_the_same_envelope(bodies, form):
    for body in bodies:
        written = json.loads(json.dumps(sinks.to_form(body, form)))
        assert forms.to_envelope(written) == forms.to_envelope(body)


def test_wire_v2_wraps_the_body(bodies):
    wrapped = sinks.to_form(bodies[0], 'wire-v2')
    assert wrapped['oslo.version'] == '2.0'
    assert json.loads(wrapped['oslo.message']) == bodies[0]


def test_unknown_form():
    with pytest.raises(ValueError):
        sinks.to_form({}, 'xml')
    with pytest.raises(ValueError):
        sinks.FileSink('-', 'xml')


def test_file_sink(tmp_path, bodies):
    path = tmp_path / 'out.jsonl'
    sink = sinks.FileSink(str(path), 'listener')
    for body in bodies[:10]:
        sink.publish(body)
    sink.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 10
    first = json.loads(lines[0])
    assert first['metadata']['message_id'] == bodies[0]['message_id']
    assert first['priority'] == bodies[0]['priority'].lower()


@pytest.mark.parametrize('publisher, exchange', [
    ('compute.cmp-1', 'nova'), ('nova-compute:cmp-1', 'nova'),
    ('scheduler.ctl-1', 'nova'), ('compute_task.ctl-1', 'nova'),
    ('image.localhost', 'glance'), ('volume.blk-1@ceph', 'cinder'),
    ('network.net-1.example.org', 'neutron')])
def test_exchange_of(publisher, exchange):
    assert sinks.exchange_of({'publisher_id': publisher}) == exchange


class FakeTransport:
    def __init__(self):
        self.sent = []

    def _send_notification(self, target, ctxt, message, version,
                           retry=None):
        # What the driver does to the dict it is given.
        message['_unique_id'] = 'x' * 32
        self.sent.append((target, ctxt, dict(message), version))

    def cleanup(self):
        pass


def test_transport_sink_keeps_ids_and_uses_service_exchange(bodies):
    sink = sinks.TransportSink('fake://', 'stk')
    fake = FakeTransport()
    sink.transport = fake
    errors = [b for b in bodies if b['priority'] == 'ERROR']
    sample = bodies[:20] + errors[:2]
    for body in sample:
        sink.publish(body)
    sink.publish(sample[0], times=2)
    assert len(fake.sent) == len(sample) + 2
    for body, (target, ctxt, message, version) in zip(
            sample, fake.sent, strict=False):
        assert version == 2.0
        assert target.exchange == sinks.exchange_of(body)
        assert target.topic == 'stk.%s' % body['priority'].lower()
        assert message['message_id'] == body['message_id']
        assert message['timestamp'] == body['timestamp']
        assert ctxt.get('request_id') == body.get('_context_request_id')
        assert not [key for key in ctxt if key.startswith('_context_')]
    # The driver stamped its own _unique_id on a copy, never on the body.
    assert all(body['_unique_id'] != 'x' * 32 for body in sample)
    # A duplicate delivery: the same message id sent twice more.
    duplicate = [message['message_id'] for _, _, message, _ in fake.sent]
    assert duplicate.count(sample[0]['message_id']) == 3


def test_token_bucket_paces():
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    bucket = sinks.TokenBucket(100, clock=lambda: now[0], sleep=sleep)
    for _ in range(1000):
        bucket.take()
    # 1000 events at 100/s: about 10 s, minus the initial burst.
    assert 9.0 <= now[0] <= 10.1


def test_token_bucket_unlimited():
    bucket = sinks.TokenBucket(0, sleep=lambda s: pytest.fail('slept'))
    for _ in range(100):
        bucket.take()
