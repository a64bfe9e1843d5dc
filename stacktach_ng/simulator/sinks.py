"""Where simulated messages go: JSON-lines files or a real message bus.

``FileSink`` writes one message per line in one of three forms:

* ``wire-v2``: ``{"oslo.version": "2.0", "oslo.message": "<json>"}``,
  what the ``messagingv2`` driver puts on the bus;
* ``wire-v1``: the flat body itself (the old ``messaging`` driver);
* ``listener``: ``{ctxt, publisher_id, event_type, payload, metadata,
  priority}``, what a notification endpoint receives.

``TransportSink`` publishes through oslo.messaging exactly as a service's
``messagingv2`` notification driver does -- on topic ``<topic>.<priority>``
of the producing service's exchange (nova, glance, cinder, neutron) -- but
keeps the simulator's ``message_id`` and ``timestamp`` (a ``Notifier``
would stamp its own). Every send gets a fresh ``_unique_id``, so
publishing the same body twice is a duplicate delivery of one message id,
as after a producer retry.
"""

import sys
import threading
import time

from stacktach_ng.common import jsonutils
from stacktach_ng.common import patches

FORMS = ('wire-v2', 'wire-v1', 'listener')

_CONTEXT = '_context_'
_ENVELOPE_KEYS = ('message_id', 'publisher_id', 'event_type', 'priority',
                  'payload', 'timestamp')

# Publisher id prefix -> the exchange its service publishes on.
_EXCHANGES = {'image': 'glance', 'volume': 'cinder', 'snapshot': 'cinder',
              'network': 'neutron'}


def exchange_of(body):
    """The exchange a message's service publishes on (nova by default)."""
    publisher = str(body.get('publisher_id') or '')
    for separator in ('.', ':'):
        publisher = publisher.split(separator, 1)[0]
    return _EXCHANGES.get(publisher, 'nova')


def split_body(body):
    """(context dict, envelope dict) of a wire v1 body; ``_unique_id``,
    which the driver sets on each send, is left out."""
    ctxt = {}
    message = {}
    for key, value in body.items():
        if key.startswith(_CONTEXT):
            ctxt[key[len(_CONTEXT):]] = value
        elif key in _ENVELOPE_KEYS:
            message[key] = value
    return ctxt, message


def to_form(body, form):
    """The JSON-ready object of ``body`` in ``form`` (see ``FORMS``)."""
    if form == 'wire-v1':
        return body
    if form == 'wire-v2':
        return {'oslo.version': '2.0',
                'oslo.message': jsonutils.dumps(body)}
    if form == 'listener':
        ctxt, message = split_body(body)
        return {'ctxt': ctxt,
                'publisher_id': message.get('publisher_id'),
                'event_type': message.get('event_type'),
                'payload': message.get('payload'),
                'metadata': {'message_id': message.get('message_id'),
                             'timestamp': message.get('timestamp')},
                'priority': str(message.get('priority', 'INFO')).lower()}
    raise ValueError('unknown form %r (one of %s)' % (form,
                                                      ', '.join(FORMS)))


class FileSink:
    """JSON lines to a path, or to standard output for ``-``."""

    def __init__(self, path, form='wire-v2'):
        if form not in FORMS:
            raise ValueError('unknown form %r (one of %s)'
                             % (form, ', '.join(FORMS)))
        self.form = form
        self.path = path
        if path == '-':
            self._stream = sys.stdout
            self._owned = False
        else:
            self._stream = open(path, 'w', encoding='utf-8')
            self._owned = True

    def publish(self, body, service=None):
        self._stream.write(jsonutils.dumps(to_form(body, self.form)))
        self._stream.write('\n')

    def close(self):
        if self._owned:
            self._stream.close()
        else:
            self._stream.flush()


class TransportSink:
    """Publish to a message bus through oslo.messaging (messagingv2
    format), on ``<topic>.<priority>`` of each service's exchange."""

    def __init__(self, transport_url, topic='stacktach', conf=None,
                 retry=3):
        # Imported only for a bus: writing files (the simulator's usual
        # output) starts without oslo.messaging.
        import oslo_messaging
        from oslo_config import cfg

        self._messaging = oslo_messaging
        # publish() calls a private method of the transport: check first.
        patches.check_notification_send()
        self.topic = topic
        self.retry = retry
        if conf is None:
            conf = cfg.ConfigOpts()
            conf([], project='stacktach-ng', default_config_files=[])
        self.transport = oslo_messaging.get_notification_transport(
            conf, url=transport_url)
        self._targets = {}

    def _target(self, exchange, priority):
        key = (exchange, priority)
        target = self._targets.get(key)
        if target is None:
            target = self._messaging.Target(
                exchange=exchange, topic='%s.%s' % (self.topic, priority))
            self._targets[key] = target
        return target

    def publish(self, body, service=None, times=1):
        """Send ``body`` (``times`` times: each is a new delivery of the
        same message id). ``service`` names the exchange; by default it
        is derived from the publisher id."""
        ctxt, message = split_body(body)
        priority = str(message.get('priority') or 'INFO').lower()
        target = self._target(service or exchange_of(body), priority)
        for _ in range(times):
            # What MessagingV2Driver.notify() does, with the exchange in
            # the target. The driver adds _unique_id and the context to
            # the dict it gets: give it a fresh copy every time.
            self.transport._send_notification(
                target, ctxt, dict(message), version=2.0, retry=self.retry)

    def close(self):
        self.transport.cleanup()


class TokenBucket:
    """Allow ``rate`` events per second on average, bursts of ``burst``.

    ``rate`` of 0 (or None) means no limit.
    """

    def __init__(self, rate, burst=None, clock=time.monotonic,
                 sleep=time.sleep):
        self.rate = float(rate or 0)
        self.capacity = float(burst or max(1.0, self.rate / 10.0))
        self.tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def take(self):
        if self.rate <= 0:
            return
        with self._lock:
            now = self._clock()
            self.tokens = min(self.capacity,
                              self.tokens + (now - self._last) * self.rate)
            self._last = now
            if self.tokens < 1.0:
                wait = (1.0 - self.tokens) / self.rate
                self._sleep(wait)
                self._last = self._clock()
                self.tokens = 0.0
            else:
                self.tokens -= 1.0


def publish_messages(transport_url, topic, bodies, conf=None, rate=0,
                     duplicates=()):
    """Publish wire v1 ``bodies`` to ``transport_url`` on ``topic``.

    Each goes to its service's exchange on ``<topic>.<priority>``, with
    its own message id and timestamp. Bodies whose message id is in
    ``duplicates`` are sent twice (a redelivery). Returns the number of
    sends.
    """
    sink = TransportSink(transport_url, topic, conf=conf)
    bucket = TokenBucket(rate)
    duplicates = set(duplicates)
    sent = 0
    try:
        for body in bodies:
            times = 2 if body.get('message_id') in duplicates else 1
            for _ in range(times):
                bucket.take()
                sink.publish(body)
                sent += 1
    finally:
        sink.close()
    return sent
