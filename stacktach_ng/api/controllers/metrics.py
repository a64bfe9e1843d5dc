"""``/metrics``: ingestion metrics in the Prometheus text format (0.0.4).

The listener workers write their counters to ``listener_heartbeats``
(see ``stacktach_ng.listener.heartbeat``); this endpoint sums them, so any
API process of a deployment answers with the totals of the whole cloud.

Lag is reported per publishing service (``nova``, ``glance``, ...): the
notifications table records the publisher, not the exchange a message came
from, and a service publishes on its own exchange, so the service is the
nearest thing to a per-exchange figure.
"""

import pecan
import webob

from stacktach_ng.api import policy
from stacktach_ng.api import validation
from stacktach_ng.api.schemas import parameters
from stacktach_ng.common import timestamps
from stacktach_ng.queries import notifications as notification_queries

CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

# name, type, help, counter in ingest_metrics()['counters']
_COUNTERS = (
    ('stacktach_notifications_stored_total', 'stored',
     'Notifications stored (first deliveries), summed over every listener '
     'worker.'),
    ('stacktach_notifications_duplicates_total', 'duplicates',
     'Redelivered notifications recognized and skipped.'),
    ('stacktach_notifications_rejected_total', 'rejected',
     'Messages rejected as poison (recorded in rejected_messages and '
     'acknowledged).'),
    ('stacktach_notifications_requeued_total', 'requeued',
     'Notifications requeued after a transient database error.'),
    ('stacktach_batches_total', 'batches',
     'Batches of notifications committed.'),
    ('stacktach_notifications_conflicts_total', 'conflicts',
     'Stored notifications that reused the message id of another one with '
     'other content (kept under a derived id, see conflict_of).'),
    ('stacktach_notifications_undated_total', 'undated',
     'Stored notifications that carried no timestamp (dated when '
     'received).'),
)


def _labels(**labels):
    if not labels:
        return ''
    return '{%s}' % ','.join('%s="%s"' % (name, _escape(value))
                             for name, value in sorted(labels.items()))


def _escape(value):
    return (str(value).replace('\\', '\\\\').replace('"', '\\"')
            .replace('\n', '\\n'))


def _number(value):
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def render(metrics, now):
    """The Prometheus text of ``ingest_metrics()``'s result."""
    lines = []

    def family(name, kind, help_text, samples):
        lines.append('# HELP %s %s' % (name, help_text))
        lines.append('# TYPE %s %s' % (name, kind))
        for labels, value in samples:
            lines.append('%s%s %s' % (name, _labels(**labels),
                                      _number(value)))

    for name, key, help_text in _COUNTERS:
        family(name, 'counter', help_text,
               [({}, metrics['counters'][key])])
    family('stacktach_rejected_messages', 'gauge',
           'Rejected messages kept in the database (until purged).',
           [({}, metrics['rejected_stored'])])
    family('stacktach_listener_workers', 'gauge',
           'Listener workers that have reported a heartbeat.',
           [({}, len(metrics['workers']))])
    family('stacktach_listener_heartbeat_age_seconds', 'gauge',
           'Seconds since each listener worker last reported.',
           [({'worker': w['worker'], 'host': w['host']},
             max((now - w['last_seen']).total_seconds(), 0.0))
            for w in metrics['workers']])
    family('stacktach_ingest_lag_seconds', 'gauge',
           'Now minus the generation time of the newest notification of '
           'each publishing service (per service, not per exchange).',
           [({'service': service}, lag)
            for service, lag in sorted(metrics['lag'].items())])
    if metrics['verifier_backlog'] is not None:
        family('stacktach_verifier_backlog', 'gauge',
               'Usage .exists records waiting for verification.',
               [({}, metrics['verifier_backlog'])])
    return '\n'.join(lines) + '\n'


class MetricsController:

    # Declared as text so that "Accept: text/plain" (a scraper's) is not
    # a 406.
    @pecan.expose(content_type='text/plain')
    def index(self, **_query):
        request = pecan.request
        validation.validate(request, parameters.NONE)
        policy.authorize_global(request.enforcer, request.context,
                                'stacktach:metrics:get')
        now = timestamps.utcnow()
        metrics = request.database.read(
            lambda connection: notification_queries.ingest_metrics(
                connection, now))
        return webob.Response(body=render(metrics, now).encode(),
                              content_type=CONTENT_TYPE, charset=None)
