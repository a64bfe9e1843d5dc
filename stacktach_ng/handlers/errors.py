"""The ``errors`` handler: failures, fingerprinted for grouping.

A failure is a notification of priority ERROR or CRITICAL or an event
type ending in ``.error``. What failed is read from:

* versioned exception payloads (``exception``, ``exception_message``,
  ``function_name``, ``module_name``) at the top of the data
  (``compute.exception``) or under ``fault`` / ``reason``;
* legacy payloads: ``message`` (or ``reason``), ``code``, and
  ``exception`` (the exception's kwargs, so no class);
* legacy ``wrap_exception`` notifications, named after the failed
  function.

The fingerprint is a hash of the exception class (the failed operation
when the class is unknown) and the message with uuids, hex ids, addresses,
host names and numbers masked, so that the same failure on other
instances, hosts or sizes groups together.

One row per failure notification. ``twin_key`` names the failed
operation of a request (of a resource without a request) whatever the
format, so that the
queries count nova's ``both`` twins (a legacy and a versioned row with
the same key a moment apart) once, under the richer versioned
fingerprint.
"""

import hashlib
import re

from stacktach_ng.db import models
from stacktach_ng.handlers import analysis
from stacktach_ng.pipeline import resources

_TABLE = models.analyses.ErrorEvent.__table__

_MAX_MESSAGE = 2000

_UUID = re.compile(r'[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                   r'[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}')
_IPV4 = re.compile(r'\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b')
_IPV6 = re.compile(r'\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b')
_DOTTED_HOST = re.compile(r'\b[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+){2,}\b')
_HEX_ID = re.compile(r'\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b')
_NUMBER = re.compile(r'\d+')

_MESSAGE_KEYS = ('exception_message', 'message', 'reason', 'error',
                 'error_message', 'fault_message')


def mask(message, host=None):
    """The message with its variable parts masked (for fingerprints)."""
    if not message:
        return ''
    masked = _UUID.sub('<uuid>', message)
    masked = _IPV4.sub('<ip>', masked)
    masked = _IPV6.sub('<ip>', masked)
    if host:
        masked = masked.replace(host, '<host>')
    masked = _DOTTED_HOST.sub('<host>', masked)
    masked = _HEX_ID.sub('<id>', masked)
    return _NUMBER.sub('N', masked)


def fingerprint(exception, masked_message):
    text = '%s\n%s' % (exception or '', masked_message or '')
    return hashlib.sha1(text.encode('utf-8'),
                        usedforsecurity=False).hexdigest()[:16]


def _exception_payload(data):
    """The versioned ExceptionPayload data in ``data``, or None."""
    if 'exception' in data and 'exception_message' in data:
        return data
    for key in ('fault', 'reason', 'exception'):
        found = resources._object_data(data.get(key))
        if (isinstance(found, dict) and 'exception' in found
                and isinstance(found.get('exception'), str)):
            return found
    return None


def _text(value, limit):
    if value is None or value == '' or isinstance(value, (dict, list)):
        return None
    return str(value)[:limit]


def failure_of(row, payload):
    """{exception, message, function_name, module_name} of a failure."""
    data, object_name, _version = resources.versioned_data(payload)
    found = _exception_payload(data) if isinstance(data, dict) else None
    if found is not None:
        return {
            'exception': _text(found.get('exception'), 255),
            'message': _text(found.get('exception_message'), _MAX_MESSAGE),
            'function_name': _text(found.get('function_name'), 255),
            'module_name': _text(found.get('module_name'), 255),
        }
    message = None
    for key in _MESSAGE_KEYS:
        message = _text(payload.get(key), _MAX_MESSAGE)
        if message:
            break
    exception = payload.get('exception')
    event_type = row['event_type']
    return {
        # A legacy payload's ``exception`` is the exception's kwargs; a
        # string there is a class name or a repr.
        'exception': (_text(exception, 255)
                      if isinstance(exception, str) else None),
        'message': message,
        # A wrap_exception notification is named after the function.
        'function_name': (event_type if '.' not in event_type else None),
        'module_name': None,
    }


def error_row(row, payload):
    """The ``error_events`` row of a failure notification."""
    failure = failure_of(row, payload)
    operation, phase = analysis.operation_of(row['event_type'])
    if phase is None:
        operation = analysis.error_operation(row['event_type'], payload)
    operation = operation[:128]
    masked = mask(failure['message'], row['host'])[:_MAX_MESSAGE]
    # The request identifies the operation; not every failure notification
    # names the resource (``compute.exception`` does not).
    subject = (row['request_id'] if row['request_id'] is not None
               else row['resource_id'] or '')
    twin_key = hashlib.sha1(
        '\n'.join((operation, subject)).encode('utf-8'),
        usedforsecurity=False).hexdigest()
    return {
        'message_id': row['message_id'],
        'twin_key': twin_key,
        'versioned': row['object_name'] is not None,
        'fingerprint': fingerprint(failure['exception'] or operation, masked),
        'exception': failure['exception'],
        'message': failure['message'],
        'masked_message': masked or None,
        'function_name': failure['function_name'],
        'module_name': failure['module_name'],
        'operation': operation,
        'event_type': row['event_type'],
        'priority': row['priority'],
        'generated_us': analysis.to_us(row['generated_at']),
        'service': row['service'],
        'host': row['host'],
        'request_id': row['request_id'],
        'resource_id': row['resource_id'],
        'project_id': row['project_id'],
    }


class ErrorsHandler(analysis.AnalysisHandler):
    """Record the failures of the batch."""

    tables = (_TABLE,)
    purge_column = 'generated_us'

    def process(self, connection, records):
        rows = [error_row(record.row, record.payload) for record in records
                if analysis.is_error(record.row)]
        analysis.insert_ignore(connection, _TABLE, rows, ('message_id',))
        return records
