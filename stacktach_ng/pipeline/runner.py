"""From raw messages to committed rows: the one ingest path.

The listener, ``import`` and the all-in-one service all call
``Pipeline.process()`` with a batch of raw messages. It normalizes each one
(poison becomes a rejected row), runs the handlers in order inside one
transaction, and commits. Only then does the caller acknowledge the batch.
"""

import dataclasses
import time

import stevedore
from oslo_db import exception as db_exc
from oslo_log import log as logging

from stacktach_ng.common import timestamps
from stacktach_ng.db import models
from stacktach_ng.pipeline import definitions
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import identity
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import rejection

LOG = logging.getLogger(__name__)

HANDLER_NAMESPACE = 'stacktach_ng.handlers'

_REJECTED = models.RejectedMessage.__table__

# A batch that fails on a unique constraint raced another batch carrying
# the same new message; it succeeds when retried. Connection errors and
# deadlocks are left to the caller (the listener requeues and backs off).
_RACE_RETRIES = 3


@dataclasses.dataclass
class BatchResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    # Of the stored: messages that reused another message's id with other
    # content, and messages without a timestamp (see pipeline.identity).
    conflicts: int = 0
    undated: int = 0
    reasons: dict = dataclasses.field(default_factory=dict)

    def add(self, other):
        self.received += other.received
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.conflicts += other.conflicts
        self.undated += other.undated
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count


def load_handlers(conf, names=None):
    """The enabled handlers, in the configured order."""
    names = list(names if names is not None else conf.listener.handlers)
    if not names:
        raise ValueError('[listener] handlers is empty: nothing would be '
                         'stored')
    manager = stevedore.NamedExtensionManager(
        HANDLER_NAMESPACE, names=names, name_order=True,
        invoke_on_load=True, invoke_args=(conf,),
        on_missing_entrypoints_callback=_missing_handlers)
    handlers = []
    for extension in manager.extensions:
        extension.obj.name = extension.name
        handlers.append(extension.obj)
    return handlers


def _missing_handlers(names):
    raise ValueError('unknown handlers in [listener] handlers: %s (no entry '
                     'point in namespace %s)'
                     % (', '.join(sorted(names)), HANDLER_NAMESPACE))


class Pipeline:
    def __init__(self, conf, database, handlers=None, source='listener'):
        self.conf = conf
        self.database = database
        self.handlers = (handlers if handlers is not None
                         else load_handlers(conf))
        self.source = source
        self.max_size = conf.listener.max_message_size
        # Raises InvalidDefinitions: a bad file stops the service here.
        self.rules = definitions.configure(conf)

    # -- normalization -------------------------------------------------

    def prepare(self, envelopes_or_errors, received_at=None):
        """Normalize a batch: (records, rejected rows, result counts).

        Items are envelopes (dicts from ``forms``) or ``Rejected`` errors
        raised while decoding them. Duplicate message ids inside the batch
        are kept once; one that comes again with other content is a
        conflict, kept under its conflict id (``identity``).
        """
        received_at = received_at or timestamps.utcnow()
        result = BatchResult(received=len(envelopes_or_errors))
        records = []
        rejected_rows = []
        seen = {}
        for item in envelopes_or_errors:
            try:
                if isinstance(item, rejection.Rejected):
                    raise item
                record = normalize.normalize(item, received_at,
                                             self.max_size, self.rules)
            except rejection.Rejected as error:
                rejected_rows.append(rejection.rejected_row(
                    error, received_at, self.source))
                result.reasons[error.reason] = (
                    result.reasons.get(error.reason, 0) + 1)
                continue
            message_id = record.row['message_id']
            first = seen.get(message_id)
            if first is not None:
                # Rare: the digests are taken only when an id comes again.
                key = identity.content_key(record.row)
                if identity.content_key(first.row) == key:
                    result.duplicates += 1
                    continue
                message_id = identity.mark_conflict(record, key)
                if message_id in seen:
                    result.duplicates += 1
                    continue
            seen[message_id] = record
            records.append(record)
        result.rejected = len(rejected_rows)
        return records, rejected_rows, result

    # -- storage -------------------------------------------------------

    def process(self, envelopes_or_errors, received_at=None):
        """Normalize, store and commit a batch; return its ``BatchResult``.

        Raises the database error when the batch could not be committed;
        nothing of it is stored then.
        """
        records, rejected_rows, result = self.prepare(envelopes_or_errors,
                                                      received_at)
        stored = self.store(records, rejected_rows)
        result.duplicates += len(records) - len(stored)
        result.stored = len(stored)
        for record in stored:
            result.conflicts += record.row['conflict_of'] is not None
            result.undated += record.row['timestamp_missing']
        return result

    def store(self, records, rejected_rows):
        """Run the handlers in one transaction; return the records that
        were new."""
        if not records and not rejected_rows:
            return []
        for attempt in range(1, _RACE_RETRIES + 1):
            try:
                return self._store_once(records, rejected_rows)
            except db_exc.DBDuplicateEntry:
                if attempt == _RACE_RETRIES:
                    raise
                LOG.debug('Batch raced another one on a message id; '
                          'retrying (%d)', attempt)
                time.sleep(0.01 * attempt)

    def _store_once(self, records, rejected_rows):
        return self._transaction(records, rejected_rows)

    def _transaction(self, records, rejected_rows):
        with self.database.writer() as connection:
            if rejected_rows:
                connection.execute(_REJECTED.insert(), rejected_rows)
            return run_handlers(connection, self.handlers, records)


def run_handlers(connection, handlers, records):
    """Run ``handlers`` in order on ``records`` in the caller's transaction;
    return the records the first handler passed on (the new ones).

    Each handler gets what the one before returned (None: the same
    records); the loop ends early once nothing is left to pass on. The
    listener, ``import`` and ``rebuild`` (which replays stored
    notifications through the analysis handlers) all run this one loop.
    """
    # Reads of the rows as they were before the batch, for the handlers
    # that mark what it changes (``Handler.before``).
    # A handler that does not derive from ``Handler`` reads nothing before.
    reading = [handler for handler in handlers
               if getattr(handler, 'reads_before', False)]
    earlier = {id(handler): handler.before(connection, records)
               for handler in reading}
    passed = records
    new = None
    for handler in handlers:
        if not passed:
            break
        if id(handler) in earlier:
            out = handler.process(connection, passed, earlier[id(handler)])
        else:
            out = handler.process(connection, passed)
        if out is not None:
            passed = out
        if new is None:
            # The first handler (notifications) decides what is new.
            new = passed
    return new if new is not None else []


def envelopes_from_listener(messages, priority):
    """Envelopes of an oslo.messaging batch; poison becomes ``Rejected``."""
    out = []
    for message in messages:
        try:
            out.append(forms.from_listener(message, priority))
        except rejection.Rejected as error:
            out.append(error)
    return out
