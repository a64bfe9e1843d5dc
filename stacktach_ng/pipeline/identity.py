"""When two messages are one: the content a message id stands for.

A message id is the publisher's promise that two deliveries carrying it
are one message (a broker redelivery, a file imported twice): the second
is a duplicate and is dropped. Some publishers break the promise (sample
notifications that share one id, a publisher that reuses ids): a message
with a stored id but other content is a *conflict*, not a duplicate, and
dropping it would lose it. It is stored under an id derived from its own
id and its content (``conflict_id``), with the id it came with in
``conflict_of``; a redelivery of it derives the same id and is a
duplicate of it in turn.

The content is what the publisher sent (event type, publisher, priority,
payload) and its timestamp. A message without a timestamp is dated when
it is received (``timestamp_missing``): a redelivery is received at
another time, so the time is left out of its content.
"""

import hashlib

# The columns a content key reads; the notifications handler reads the
# same from a stored row.
COLUMNS = ('event_type', 'publisher_id', 'priority', 'payload',
           'generated_at', 'timestamp_missing')

_MAX_ID = 128
_KEY_LENGTH = 16


def content_key(row):
    """A digest of a notification row's content (a dict or a row with
    ``COLUMNS``)."""
    when = '' if row['timestamp_missing'] else row['generated_at'].isoformat()
    text = '\x1f'.join((row['event_type'], row['publisher_id'] or '',
                        row['priority'], when, row['payload']))
    return hashlib.sha1(text.encode('utf-8', 'surrogatepass'),
                        usedforsecurity=False).hexdigest()


def conflict_id(message_id, key):
    """The id a conflicting message is stored under: its own id, cut to
    leave room, then ``~`` and the start of its content key."""
    return '%s~%s' % (message_id[:_MAX_ID - _KEY_LENGTH - 1],
                      key[:_KEY_LENGTH])


def mark_conflict(record, key):
    """Store ``record`` under its conflict id; return that id."""
    row = record.row
    row['conflict_of'] = row['message_id']
    row['message_id'] = conflict_id(row['message_id'], key)
    return row['message_id']
