"""Failures, fingerprinted for grouping: the ``error_events`` rows.

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

import ast
import hashlib
import re

from stacktach_ng.analyses import operations
from stacktach_ng.analyses import times
from stacktach_ng.db import models
from stacktach_ng.db import upsert
from stacktach_ng.pipeline import resources

ERRORS = models.analyses.ErrorEvent.__table__

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
        found = resources.object_data(data.get(key))
        if (isinstance(found, dict) and 'exception' in found
                and isinstance(found.get('exception'), str)):
            return found
    return None


def _text(value, limit):
    if value is None or value == '' or isinstance(value, (dict, list)):
        return None
    return str(value)[:limit]


# oslo.messaging appends the remote side's traceback to the message of an
# exception it re-raises (``NoValidHost_Remote``): the message is the text
# before it, as nova records it in the instance fault.
_REMOTE_TRACEBACK = '\nTraceback (most recent call last):'

# A legacy nova failure payload may carry the exception as the text of a
# Python dict (``set_vm_state_and_notify`` puts the exception object in
# ``reason`` and the serializer falls back to its repr). Longer texts are
# not parsed.
_MAX_REPR = 65536


def _without_remote_traceback(message):
    if isinstance(message, str):
        cut = message.find(_REMOTE_TRACEBACK)
        if cut >= 0:
            return message[:cut]
    return message


def _exception_repr(value):
    """``{"class", "message"}`` of a legacy exception given as a dict or
    as the text of one, or None."""
    if isinstance(value, str):
        if not (value.startswith('{') and value.endswith('}')
                and len(value) <= _MAX_REPR):
            return None
        try:
            # Literals only: no name is looked up, nothing is called.
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError,
                RecursionError):
            return None
    if (isinstance(value, dict) and isinstance(value.get('message'), str)
            and isinstance(value.get('class', ''), str)):
        return value
    return None


def failure_of(row, payload):
    """{exception, message, function_name, module_name} of a failure."""
    data, object_name, _version = resources.versioned_data(payload)
    found = _exception_payload(data) if isinstance(data, dict) else None
    if found is not None:
        return {
            'exception': _text(found.get('exception'), 255),
            'message': _text(_without_remote_traceback(
                found.get('exception_message')), _MAX_MESSAGE),
            'function_name': _text(found.get('function_name'), 255),
            'module_name': _text(found.get('module_name'), 255),
        }
    exception = payload.get('exception')
    reason = _exception_repr(payload.get('reason'))
    if reason is not None:
        message = _text(reason['message'], _MAX_MESSAGE)
        if not isinstance(exception, str):
            exception = reason.get('class')
    else:
        message = None
        for key in _MESSAGE_KEYS:
            message = _text(payload.get(key), _MAX_MESSAGE)
            if message:
                break
    message = _without_remote_traceback(message)
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


def error_row(row, payload, outcome=None):
    """The ``error_events`` row of a failure notification.

    :param outcome: the reason of a failure an info notification reports
        (a CADF ``outcome: failure``, see the resource definitions): the
        message when the payload has none.
    """
    failure = failure_of(row, payload)
    if outcome is not None and not failure['message']:
        failure['message'] = ('outcome failure: %s' % outcome if outcome
                              else 'outcome failure')
    operation, phase = operations.operation_of(row['event_type'])
    if phase is None:
        operation = operations.error_operation(row['event_type'], payload)
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
        'generated_us': times.to_us(row['generated_at']),
        'service': row['service'],
        'host': row['host'],
        'request_id': row['request_id'],
        'resource_id': row['resource_id'],
        'project_id': row['project_id'],
    }



def error_rows(records):
    """The ``error_events`` rows of the batch's failures."""
    return [error_row(record.row, record.payload, record.failure)
            for record in records
            if operations.is_error(record.row) or record.failure is not None]


def write_errors(connection, rows):
    """Store the rows of failures not stored yet."""
    upsert.insert_ignore(connection, ERRORS, rows, ('message_id',))
