"""Database access: one ``Database`` per configuration.

oslo.db's enginefacade owns the engines, the connection pool settings and
the retry/disconnect handling of ``[database]``. Writers get a Core
``Connection`` inside a transaction (bulk statements are the point of the
ingest path); readers get a connection on the reader engine, which is the
slave connection when one is configured.
"""

import contextlib
import os
import threading

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import exc_filters
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# The options of [database] that enginefacade.configure() understands.
_FACADE_OPTS = (
    'connection', 'slave_connection', 'sqlite_synchronous', 'mysql_sql_mode',
    'mysql_wsrep_sync_wait', 'mysql_enable_ndb', 'connection_recycle_time',
    'connection_debug', 'max_pool_size', 'max_overflow', 'pool_timeout',
    'connection_trace', 'max_retries', 'retry_interval',
    'connection_parameters', 'db_max_retries', 'db_inc_retry_interval',
    'db_retry_interval', 'db_max_retry_interval',
)

# Errors after which the same transaction may succeed if tried again.
TRANSIENT_ERRORS = (db_exc.DBConnectionError, db_exc.DBDeadlock,
                    db_exc.DBDuplicateEntry)


class _Context:
    """enginefacade attaches its transaction state to a context object."""


# SQLite has one writer at a time. Within a process, writers wait for each
# other on this lock (one per database file, shared by every ``Database``
# of the process: the all-in-one service runs the listener, the verifier
# and the heartbeat side by side) instead of failing with "database is
# locked" when a transaction that read first tries to write. Other
# processes are waited for by SQLite's busy timeout.
_sqlite_write_locks = {}
_sqlite_write_locks_guard = threading.Lock()


def _sqlite_write_lock(url):
    with _sqlite_write_locks_guard:
        return _sqlite_write_locks.setdefault(url, threading.RLock())


class Database:
    def __init__(self, conf):
        self.conf = conf
        db_conf = conf.database
        self._facade = enginefacade.transaction_context()
        self._facade.configure(**{
            name: db_conf[name] for name in _FACADE_OPTS
            if name in db_conf and db_conf[name] is not None})
        self._engine_lock = threading.Lock()
        self._engine = None
        self._sqlite_anchor = None
        self._sqlite_readers = None
        self._read_facade = None
        self._read_backend = None
        self.write_lock = None

    @property
    def engine(self):
        """The writer engine, set up on first use (after a fork)."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    if self.conf.database.connection.startswith('sqlite'):
                        _make_sqlite_directory(self.conf.database.connection)
                    engine = self._facade.writer.get_engine()
                    if engine.dialect.name == 'postgresql':
                        _tune_postgresql(engine)
                    if engine.dialect.name == 'sqlite':
                        _tune_sqlite(engine)
                        self._sqlite_anchor = _anchor(engine)
                        _keep_writer_connection(engine)
                        self._sqlite_readers = _sqlite_reader_engine(
                            engine.url, self.conf.database)
                        self.write_lock = _sqlite_write_lock(
                            str(engine.url))
                    self._engine = engine
        return self._engine

    def share_write_lock(self, lock):
        """On SQLite, take turns with the writers of other processes on
        ``lock`` (a ``multiprocessing`` RLock), not only with this
        process's: a writer waiting on SQLite's busy timeout polls, and
        sleeps up to 100 ms past the moment the file is free, while one
        waiting on the lock starts at once. Nothing on other databases,
        whose writers do not take turns."""
        self.engine  # noqa: B018 - sets the write lock of SQLite
        if self.write_lock is not None:
            self.write_lock = lock

    @property
    def dialect(self):
        return self.engine.dialect.name

    @contextlib.contextmanager
    def writer(self):
        """Context manager: a Connection in a transaction, committed on exit.

        The transaction rolls back if the block raises. On SQLite, the
        process's writers take turns (see ``_sqlite_write_lock``).
        """
        self.engine  # noqa: B018 - make sure SQLite is tuned first
        if self.write_lock is None:
            with self._facade.writer.connection.using(_Context()) as conn:
                yield conn
            return
        with self.write_lock:
            with self._facade.writer.connection.using(_Context()) as conn:
                yield conn

    def reader(self):
        """Context manager: a Connection for reads."""
        self.engine  # noqa: B018
        if self._sqlite_readers is not None:
            return self._pooled_read()
        return self._facade.reader.connection.using(_Context())

    @contextlib.contextmanager
    def _pooled_read(self):
        with self._sqlite_readers.connect() as connection:
            with connection.begin():
                yield connection

    def read(self, function):
        """``function(connection)`` in a read transaction; its result.

        For request handlers (the API): on MySQL and PostgreSQL the
        connection comes from an engine of its own that does not ping the
        server at every checkout (oslo.db's engines do, a round trip per
        request, about a tenth of the time of an API request at a million
        notifications). A connection that turns out to be dead instead
        fails its first statement; oslo.db's error handling reports it as
        ``DBConnectionError`` and SQLAlchemy invalidates every connection
        pooled before it, so the read is tried once more, on a new
        connection: a server restart costs no failed request, as with the
        ping. ``function`` must only read and return what it read (it may
        run twice). On SQLite this is ``reader()``.
        """
        if self._is_sqlite():
            with self.reader() as connection:
                return function(connection)
        try:
            with self._unpinged_read() as connection:
                return function(connection)
        except db_exc.DBConnectionError:
            pass
        with self._unpinged_read() as connection:
            return function(connection)

    def _is_sqlite(self):
        # From the URL, once: the engines are made on first use, and a
        # server database's read() does not need the writer engine at all.
        if self._read_backend is None:
            self._read_backend = sa.engine.make_url(
                self.conf.database.connection).get_backend_name()
        return self._read_backend == 'sqlite'

    def _unpinged_read(self):
        if self._read_facade is None:
            with self._engine_lock:
                if self._read_facade is None:
                    self._read_facade = _unpinged_facade(self.conf.database)
        return self._read_facade.reader.connection.using(_Context())

    def refresh_statistics(self):
        """Have the query planner count the rows again, after a bulk load.

        PostgreSQL plans from statistics that autovacuum refreshes only
        some time after a large import; until then a freshly loaded table
        looks empty and lookups by request id scan it (measured at a
        million notifications: a trace took 38 ms instead of 4). MySQL and
        SQLite need nothing here. Returns whether anything was done.
        """
        if self.dialect != 'postgresql':
            return False
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level='AUTOCOMMIT')
            connection.exec_driver_sql('ANALYZE')
        return True

    def dispose(self):
        """Close the pooled connections (before a fork, at shutdown)."""
        if self._sqlite_anchor is not None:
            self._sqlite_anchor.close()
            self._sqlite_anchor = None
        if self._sqlite_readers is not None:
            self._sqlite_readers.dispose()
        if self._read_facade is not None:
            self._read_facade.dispose_pool()
        if self._engine is not None:
            self._engine.dispose()


def _make_sqlite_directory(url):
    """Create the directory of a SQLite file so that a first start works
    without preparation."""
    path = sa.engine.make_url(url).database
    if path and path != ':memory:':
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _anchor(engine):
    """Keep one idle connection open to a SQLite file for the process.

    oslo.db gives SQLite files a NullPool: every transaction opens and
    closes its own connection, and the last connection to close a WAL
    database checkpoints it: tens of milliseconds per batch, a third of the
    import time. An idle connection that stays open leaves checkpoints to
    SQLite's automatic ones.
    """
    if engine.url.database in (None, '', ':memory:'):
        return None
    return engine.raw_connection()


def _keep_writer_connection(engine):
    """Keep the writer's connection to a SQLite file open between
    transactions.

    oslo.db gives SQLite files a NullPool: every transaction opened the
    file anew, set it up (the connect listeners: PRAGMAs, oslo.db's
    functions), had SQLite read and parse the schema again (five dozen
    tables and indexes) and started with an empty page cache: 0.7 ms of
    CPU before the first statement of a transaction, 0.17 ms on a kept
    connection, and a fifth of a batch's page reads (256 to 201 per batch
    of 200 notifications, store-cpu benchmark under ``strace -c``), the
    same work for every batch. One connection kept in a pool serves the
    transactions one after the other: the writers of a process take turns
    anyway (``_sqlite_write_lock``). SQLite itself tells a connection
    when another one changed the file (the WAL index), so a page cache
    kept between transactions is never stale. A second connection wanted
    while the first is out (a read on the writer engine during a write) is
    opened and closed as before. No ping at checkout: there is no server
    to lose. Without SQLAlchemy's pool internals the NullPool stays:
    slower, still correct.
    """
    creator = getattr(engine.pool, '_creator', None)
    if creator is None:
        LOG.warning('Cannot keep SQLite writer connections open with %s '
                    'pools; each transaction opens the database file.',
                    type(engine.pool).__name__)
        return
    # The listeners of the NullPool (oslo.db's and _tune_sqlite's connect
    # set-up, the fork guard) carry over with its dispatch.
    engine.pool = sa.pool.QueuePool(
        creator, pool_size=1, max_overflow=-1, pre_ping=False,
        dialect=engine.dialect, _dispatch=engine.pool.dispatch)

    @sa.event.listens_for(engine, 'checkin')
    def _on_checkin(dbapi_connection, connection_record):
        # oslo.db emits BEGIN itself unless the connection's info says a
        # transaction is open. A connection back in the pool has none
        # (the pool rolled back whatever was left); should the mark have
        # outlived its transaction, the next one would run without BEGIN,
        # a commit per statement. A closed connection never had to care.
        connection_record.info.pop('in_transaction', None)


def _tune_postgresql(engine):
    """Compress long values with lz4 instead of pglz where the server can.

    A notification's payload is a few KiB of JSON: PostgreSQL compresses
    every value over 2 KiB, and its default pglz costs more CPU than the
    rest of the insert. lz4 (PostgreSQL 14 and later, when built with it)
    compresses several times faster for a similar size. It applies to the
    values this engine writes; existing rows stay as they are.
    """

    @sa.event.listens_for(engine, 'connect')
    def _on_connect(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SET default_toast_compression = 'lz4'")
            # Commit: psycopg2 opened a transaction, and a SET rolled back
            # is undone.
            dbapi_connection.commit()
        except Exception:
            # An older server, or one built without lz4: pglz it is.
            dbapi_connection.rollback()
        finally:
            cursor.close()

    engine.pool.dispose()


def _sqlite_reader_engine(url, db_conf):
    """A pool of open connections for the reads of a SQLite file.

    oslo.db gives SQLite files a NullPool: each transaction opens the file,
    sets it up and closes it again, a fifth of the time of an API request
    at a million notifications. Reads need none of what that protects
    (writers keep oslo.db's engine and its per-file write lock), so they
    take connections from a pool (one connection per thread at a time).
    None for an in-memory database, which lives in one connection.
    """
    if url.database in (None, '', ':memory:'):
        return None
    engine = sa.create_engine(
        url, poolclass=sa.pool.QueuePool,
        pool_size=db_conf.max_pool_size or 5,
        max_overflow=db_conf.max_overflow or 10,
        connect_args={'check_same_thread': False})
    exc_filters.register_engine(engine)
    _tune_sqlite(engine)
    return engine


def _unpinged_facade(db_conf):
    """The enginefacade of ``Database.read()``: configured from
    ``[database]`` as the main one, with two differences.

    * No ping at checkout. oslo.db always asks SQLAlchemy for
      ``pool_pre_ping``, with no option to turn it off: it is turned off
      on this facade's engines when they are created (``read()`` retries
      instead).
    * No ``sleep(0)`` at checkin (``thread_checkin``): it lets eventlet's
      green threads run; stacktach-ng runs OS threads, which the database
      driver already lets run while it waits on the server.
    """
    facade = enginefacade.transaction_context()
    facade.configure(thread_checkin=False, **{
        name: db_conf[name] for name in _FACADE_OPTS
        if name in db_conf and db_conf[name] is not None})
    facade.append_on_engine_create(_without_pre_ping)
    return facade


def _without_pre_ping(engine):
    # SQLAlchemy keeps the pool's pre_ping setting in this attribute and
    # has no public way to change it after create_engine(). Should it
    # move, the pool keeps pinging: slower, still correct.
    if hasattr(engine.pool, '_pre_ping'):
        engine.pool._pre_ping = False
    else:
        LOG.warning('Cannot turn off the connection ping of %s pools; '
                    'API reads ping the database at every request.',
                    type(engine.pool).__name__)


def _tune_sqlite(engine):
    """Make SQLite fit a service: WAL for readers beside the writer, a busy
    timeout so that a second process waits instead of failing, and 16 KiB
    pages (set before the first table exists) so that a typical 2-4 KiB
    notification fits in a page instead of spilling into overflow pages;
    measured at about 1.5x the insert rate of the 4 KiB default."""

    @sa.event.listens_for(engine, 'connect')
    def _on_connect(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute('PRAGMA page_size=16384')
            if engine.url.database not in (None, '', ':memory:'):
                cursor.execute('PRAGMA journal_mode=WAL')
            cursor.execute('PRAGMA busy_timeout=30000')
            cursor.execute('PRAGMA synchronous=NORMAL')
        finally:
            cursor.close()

    # Connections made before the listener was attached get it now.
    engine.pool.dispose()
