"""Import notifications from files: ``stacktach-ng-manage import``.

A file is read in whatever way notifications are found saved in the wild,
detected from its content, never from its name:

* gzip or not (magic bytes);
* JSON lines (one value a line, read line by line so memory stays
  bounded), or one JSON document (a single message, an array of messages,
  or a mapping of names to messages as test suites keep them);
* inside those, wrappers such as ``{"step": ..., "notification": {...}}``;
* each message in any of the four forms of ``forms.to_envelope``.

Everything read goes through the same ``Pipeline`` as the listener, with
``source='import'``, one transaction per batch. A line that is not JSON,
or a value that is no notification, becomes a rejected message with its
reason; it never stops the import.
"""

import contextlib
import gc
import gzip
import io
import sys
import time

import sqlalchemy.exc as sa_exc
from oslo_db import exception as db_exc
from oslo_log import log as logging

from stacktach_ng.common import jsonutils
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner
from stacktach_ng.pipeline.rejection import Rejected

LOG = logging.getLogger(__name__)

SOURCE = 'import'
DEFAULT_BATCH_SIZE = 2000

_GZIP_MAGIC = b'\x1f\x8b'
STDIN = '-'

# Keys of which one is enough to call a JSON object a message (of any form,
# poison included), rather than a container of messages.
_MESSAGE_KEYS = frozenset((
    'event_type', 'oslo.message', 'oslo.version', 'payload', 'publisher_id',
    'ctxt', 'metadata', 'message_id', 'priority', 'timestamp'))
_WRAPPER_KEY = 'notification'
_V2_MESSAGE = 'oslo.message'
_CONTEXT_PREFIX = '_context_'
# Containers nest a few levels at most (a mapping of lists of wrappers...).
_MAX_NESTING = 4


# What reading a file raises when it cannot be read to its end.
READ_ERRORS = (OSError, EOFError, gzip.BadGzipFile)


class SourceError(Exception):
    """A file that cannot be opened or read; the message is one line."""


def open_source(path):
    """A binary stream of the content of ``path`` (``-`` is stdin),
    decompressed when it starts with the gzip magic bytes."""
    if path == STDIN:
        raw = sys.stdin.buffer
        if not hasattr(raw, 'peek'):
            raw = io.BufferedReader(raw)
    else:
        try:
            raw = open(path, 'rb')
        except OSError as e:
            raise SourceError('cannot read %s: %s' % (
                path, e.strerror or e)) from None
    try:
        magic = raw.peek(2)[:2]
    except OSError as e:
        raw.close()
        raise SourceError('cannot read %s: %s' % (
            path, e.strerror or e)) from None
    if magic == _GZIP_MAGIC:
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode='rb'))
    return raw


def parse_line(line):
    exact = not jsonutils.may_hold_a_big_integer(line)
    try:
        value = jsonutils.loads(line, checked=exact)
    except (ValueError, RecursionError) as e:
        return Rejected('not valid JSON: %s' % str(e).split('\n')[0][:120],
                        line)
    if exact and type(value) is dict:
        # A wire v2 body: its inner message is a string within this line,
        # so the line's digit check holds for it too; parse it here rather
        # than check it again in forms.from_wire. What does not parse is
        # left as it is, for from_wire to reject with its reason.
        inner = value.get(_V2_MESSAGE)
        if type(inner) is str:
            try:
                value[_V2_MESSAGE] = jsonutils.loads(inner, checked=True)
            except (ValueError, RecursionError):
                pass
    return value


def first_line(stream):
    """The first non-empty line of a binary stream, b'' when there is
    none; the stream is left after it."""
    for line in stream:
        if line.strip():
            return line
    return b''


def read_documents(stream):
    """The JSON values of a stream, or ``Rejected`` for what is not JSON.

    When the first non-empty line is a JSON value by itself the stream is
    JSON lines and is read line by line; otherwise it is one document,
    read whole. A document that is not JSON either is read as JSON lines
    after all, so that one bad first line does not reject a whole file.
    """
    first = first_line(stream)
    if not first:
        return
    value = parse_line(first)
    if not isinstance(value, Rejected):
        yield value
        for line in stream:
            if line.strip():
                yield parse_line(line)
        return
    content = first + stream.read()
    try:
        yield jsonutils.loads(content)
        return
    except (ValueError, RecursionError):
        pass
    for line in content.splitlines():
        if line.strip():
            yield parse_line(line)


def _is_message(obj):
    if 'event_type' in obj or 'oslo.message' in obj:
        return True
    for key in obj:
        if key in _MESSAGE_KEYS or key.startswith(_CONTEXT_PREFIX):
            return True
    return False


def messages_of(value, _depth=0):
    """The messages inside a JSON value, detected by shape.

    A message is yielded as it is (its form is told by
    ``forms.to_envelope``); arrays, ``{step, notification}`` wrappers and
    mappings of names to messages are opened. A value that is none of
    these is yielded too, to be rejected with a reason.
    """
    if isinstance(value, dict):
        if _is_message(value):
            yield value
            return
        if _depth < _MAX_NESTING:
            wrapped = value.get(_WRAPPER_KEY)
            if isinstance(wrapped, dict):
                yield wrapped
                return
            if value and all(isinstance(item, (dict, list))
                             for item in value.values()):
                for item in value.values():
                    yield from messages_of(item, _depth + 1)
                return
        yield value
    elif isinstance(value, list) and _depth < _MAX_NESTING:
        for item in value:
            yield from messages_of(item, _depth + 1)
    else:
        yield value


def envelopes_of(stream):
    """Envelopes, or ``Rejected`` errors, of every message of a stream."""
    return _envelopes(read_documents(stream))


def envelopes_of_lines(lines):
    """Envelopes, or ``Rejected`` errors, of lines of a stream already
    known to be JSON lines (``read_documents`` told it from its first
    line): a part of a file that parallel import jobs share."""
    return _envelopes(parse_line(line) for line in lines if line.strip())


def _envelopes(values):
    to_envelope = forms.to_envelope
    for value in values:
        if type(value) is dict and (_V2_MESSAGE in value
                                    or 'event_type' in value):
            # The common case, one message a line: no shape detection.
            try:
                yield to_envelope(value)
            except Rejected as error:
                yield error
            continue
        if isinstance(value, Rejected):
            yield value
            continue
        for message in messages_of(value):
            try:
                yield to_envelope(message)
            except Rejected as error:
                yield error


# Parsed notifications are trees of dicts and lists without cycles: plain
# reference counting frees them. With thousands of them alive per batch the
# cyclic collector would otherwise run every few hundred allocations and
# walk every object of the process each time (measured: about a third of
# the reading time).
_BULK_GC_THRESHOLD = 100000


@contextlib.contextmanager
def bulk_gc():
    """Make the cyclic garbage collector run rarely during a bulk import:
    what exists already is frozen out of its reach, and it waits for many
    more allocations before it runs. Restored on exit."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_BULK_GC_THRESHOLD, thresholds[1], thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


# Stored notifications after which an import refreshes the planner's
# statistics (see ``Database.refresh_statistics``).
REFRESH_STATISTICS_AFTER = 10000


# Several jobs (``--jobs``), or a listener, may write the same database:
# a batch can meet a deadlock (MySQL, PostgreSQL: two batches updating the
# same analysis rows in another order), insert a derived row whose key
# another batch inserted first (MySQL reports the duplicate, as it does
# to the listener, which requeues the batch) or, on SQLite, wait for the
# write lock longer than the busy timeout. It rolled back whole: it is
# stored again after a pause rather than lost or fatal.
_LOCK_RETRIES = 5
_LOCK_BACKOFF = 0.5
DB_ERRORS = (db_exc.DBError, sa_exc.SQLAlchemyError)
_LOCK_TEXTS = ('database is locked', 'deadlock')


def is_lock_wait(error):
    """Whether a batch failed only for meeting another writer."""
    if isinstance(error, (db_exc.DBDeadlock, db_exc.DBDuplicateEntry)):
        return True
    text = str(getattr(error, 'inner_exception', None) or error).lower()
    return any(part in text for part in _LOCK_TEXTS)


class Importer:
    """Feeds streams of messages through the pipeline in batches."""

    def __init__(self, conf, database, batch_size=DEFAULT_BATCH_SIZE,
                 progress=None, pipeline=None):
        self.pipeline = pipeline or runner.Pipeline(
            conf, database, source=SOURCE)
        self.batch_size = batch_size
        self.progress = progress
        self.result = runner.BatchResult()

    def _flush(self, batch):
        for attempt in range(1, _LOCK_RETRIES + 1):
            try:
                result = self.pipeline.process(batch)
                break
            except DB_ERRORS as error:
                # The batch rolled back: storing it again is safe.
                if attempt == _LOCK_RETRIES or not is_lock_wait(error):
                    raise
                LOG.info('Batch met another writer (%s); retrying (%d)',
                         error, attempt)
                time.sleep(_LOCK_BACKOFF * attempt)
        self.result.add(result)
        if self.progress is not None:
            self.progress(self.result)

    def import_stream(self, stream):
        """Import every message of a binary stream; return the totals so
        far (a ``BatchResult``). Each batch is committed on its own."""
        return self.import_items(envelopes_of(stream))

    def import_items(self, items):
        """Import envelopes (or ``Rejected`` errors) in batches; return the
        totals so far."""
        batch = []
        for item in items:
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._flush(batch)
                batch = []
        if batch:
            self._flush(batch)
        return self.result

    def finish(self):
        """After the last file: see ``finish``; return whether the
        statistics were refreshed."""
        return finish(self.pipeline, self.result)

    def import_path(self, path):
        """Import a file (``-`` for stdin); raises ``SourceError`` when it
        cannot be read."""
        stream = open_source(path)
        try:
            return self.import_stream(stream)
        except READ_ERRORS as e:
            raise SourceError('cannot read %s: %s' % (
                path, getattr(e, 'strerror', None) or e)) from None
        finally:
            if path != STDIN:
                stream.close()


def finish(pipeline, result):
    """After an import's last file (``result``, its totals): let the
    handlers of ``pipeline`` catch up on what they defer
    (``Handler.catch_up``), then refresh the planner's statistics when the
    import stored many notifications; return whether it did."""
    for handler in pipeline.handlers:
        handler.catch_up(pipeline.database)
    if result.stored < REFRESH_STATISTICS_AFTER:
        return False
    return pipeline.database.refresh_statistics()


def top_reasons(result, count=3):
    """The most frequent rejection reasons, as ``reason (n)`` texts."""
    ranked = sorted(result.reasons.items(), key=lambda item: -item[1])
    return ['%s (%d)' % (reason, n) for reason, n in ranked[:count]]


def summary(result):
    """One line for the operator: read, stored, duplicates, rejected;
    of the stored, the id conflicts and the messages without a timestamp
    when there are any."""
    line = ('read %d, stored %d, duplicates %d, rejected %d'
            % (result.received, result.stored, result.duplicates,
               result.rejected))
    flagged = ['%d %s' % (count, text) for count, text in (
        (result.conflicts, 'reusing a stored message id with other content'),
        (result.undated, 'without a timestamp (dated when read)'))
        if count]
    if flagged:
        line += ' (of which %s)' % ', '.join(flagged)
    reasons = top_reasons(result)
    if reasons:
        line += ': ' + '; '.join(reasons)
    return line
