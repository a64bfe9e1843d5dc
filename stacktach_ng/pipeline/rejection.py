"""Messages that cannot be stored, and how they are recorded instead."""

import json

from stacktach_ng.pipeline import scrub
from stacktach_ng.pipeline.storable import storable_text

EXCERPT_LIMIT = 4096


class Rejected(Exception):
    """A message that is not a storable notification.

    ``reason`` is a short, stable text (it is counted and shown to the
    operator); the message's identifying fields are kept when known.
    """

    def __init__(self, reason, message=None, size=None):
        super().__init__(reason)
        self.reason = reason[:255]
        self.message = message
        self.size = size


def _field(message, name, limit=255):
    if isinstance(message, dict):
        value = message.get(name)
        if value is None and isinstance(message.get('metadata'), dict):
            value = message['metadata'].get(name)
        if value is not None and not isinstance(value, (dict, list)):
            return storable_text(str(value)[:limit]) or None
    return None


def _scrubbed(message, limit):
    """The message with its secrets masked, before it is cut short (a cut
    could split a secret from the key that marks it)."""
    if isinstance(message, bytes):
        message = message[:limit * 4].decode('utf-8', 'replace')
    if isinstance(message, str):
        return scrub.scrub_text(message[:limit * 4])
    return scrub.scrub_embedded(message)


def excerpt_of(message, limit=EXCERPT_LIMIT):
    """A bounded text excerpt of any message, for the operator to read."""
    if isinstance(message, bytes):
        text = message[:limit * 4].decode('utf-8', 'replace')
    elif isinstance(message, str):
        text = message[:limit * 4]
    else:
        try:
            text = json.dumps(message, default=repr)[:limit * 4]
        except (TypeError, ValueError, RecursionError):
            text = repr(message)[:limit * 4]
    if len(text) > limit:
        text = text[:limit - 3] + '...'
    return text


def size_of(message):
    if isinstance(message, (bytes, str)):
        return len(message)
    try:
        return len(json.dumps(message, default=repr))
    except (TypeError, ValueError, RecursionError):
        return 0


def rejected_row(error, received_at, source):
    """The ``rejected_messages`` row of a ``Rejected`` error.

    The excerpt is scrubbed: a rejected message is still a message.
    """
    message = error.message
    try:
        shown = _scrubbed(message, EXCERPT_LIMIT)
    except RecursionError:
        shown = '<too deeply nested to show>'
    size = error.size if error.size is not None else size_of(message)
    return {
        'received_at': received_at,
        'source': source[:32],
        'reason': storable_text(error.reason),
        'message_id': _field(message, 'message_id', 128),
        'event_type': _field(message, 'event_type'),
        'publisher_id': _field(message, 'publisher_id'),
        'size': min(size, 2 ** 31 - 1),
        'excerpt': storable_text(excerpt_of(shown)),
    }
