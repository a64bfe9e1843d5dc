"""``<type>.exists.verified`` and ``<type>.exists.failed`` notifications.

Billing systems that consumed StackTach's verified exists get the same
thing: the original exists payload, with ``original_message_id`` naming
the exists notification it verifies and ``verification`` giving the
verdict (status, reason code, detail). ``compute.instance.exists`` becomes
``compute.instance.exists.verified``, ``instance.exists`` becomes
``instance.exists.verified``, and so on. Failures are sent with the
``error`` priority, verdicts with ``info``.
"""


import oslo_messaging
import sqlalchemy as sa
from oslo_log import log as logging

from stacktach_ng.common import jsonutils
from stacktach_ng.db import chunking
from stacktach_ng.db import models

LOG = logging.getLogger(__name__)

_NOTIFICATIONS = models.Notification.__table__


class ExistsNotifier:
    """Send verdicts through an oslo.messaging ``Notifier``.

    The transport and topics are those of ``[oslo_messaging_notifications]``
    (its ``transport_url`` or ``[DEFAULT] transport_url``); when no driver
    is configured there, ``messagingv2`` is used, since the operator asked
    for notifications with ``[verifier] emit_notifications``.
    """

    def __init__(self, conf, transport=None, publisher_id=None):
        if transport is None:
            transport = oslo_messaging.get_notification_transport(conf)
        driver = None
        if not conf.oslo_messaging_notifications.driver:
            driver = 'messagingv2'
        self.transport = transport
        self._notifier = oslo_messaging.Notifier(
            transport, driver=driver,
            publisher_id=publisher_id or 'stacktach-ng.%s' % conf.host)

    def send(self, database, verdicts):
        """Send ``(row, status, reason, detail)`` verdicts; return the ids
        of the exists rows whose verdict was sent."""
        payloads = _original_payloads(database,
                                      [row.message_id for row, *_ in verdicts])
        sent = []
        for row, status, reason, detail in verdicts:
            payload = _entry(payloads.get(row.message_id), row)
            payload['original_message_id'] = row.message_id
            payload['verification'] = {
                'status': status, 'reason': reason, 'detail': detail,
                'verified_at': row.verified_at.isoformat()
                if row.verified_at else None,
            }
            suffix = 'failed' if status == 'failed' else 'verified'
            event_type = '%s.%s' % (row.event_type, suffix)
            try:
                if status == 'failed':
                    self._notifier.error({}, event_type, payload)
                else:
                    self._notifier.info({}, event_type, payload)
            except Exception:  # noqa: BLE001 - retried by a later pass
                LOG.exception('Could not send %s for %s; will retry',
                              event_type, row.message_id)
                break
            sent.append(row.id)
        return sent

    def close(self):
        self.transport.cleanup()


def _original_payloads(database, message_ids):
    found = {}
    ids = sorted(set(message_ids))
    with database.reader() as connection:
        for start in range(0, len(ids), chunking.CHUNK):
            for message_id, payload in connection.execute(
                    sa.select(_NOTIFICATIONS.c.message_id,
                              _NOTIFICATIONS.c.payload)
                    .where(_NOTIFICATIONS.c.message_id.in_(
                        ids[start:start + chunking.CHUNK]))):
                found[message_id] = jsonutils.loads(payload)
    return found


def _entry(payload, row):
    """The payload that describes this row: the whole exists payload, or
    the row's image of a glance exists listing several."""
    if not isinstance(payload, dict):
        return {}
    images = payload.get('images')
    if row.resource_type == 'image' and isinstance(images, list):
        for image in images:
            if isinstance(image, dict) and image.get('id') == row.resource_id:
                entry = dict(image)
                for key in ('owner', 'audit_period_beginning',
                            'audit_period_ending'):
                    if key in payload:
                        entry.setdefault(key, payload[key])
                return entry
    return dict(payload)
