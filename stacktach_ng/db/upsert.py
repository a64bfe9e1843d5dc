"""Idempotent and merging inserts, in each backend's dialect.

``upsert`` inserts rows and merges each with the stored row of the same
key (``INSERT ... ON CONFLICT DO UPDATE``, MySQL ``ON DUPLICATE KEY
UPDATE``); ``insert_ignore`` inserts the rows whose key is not stored yet.
Rows are sorted by key first: a stable order keeps concurrent batches from
deadlocking on each other's locks.
"""

import functools
import re

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from stacktach_ng.db import bulk
from stacktach_ng.db.chunking import CHUNK

_INSERTS = {
    'sqlite': sqlite.insert,
    'postgresql': postgresql.insert,
    'mysql': mysql.insert,
}


def upsert(connection, table, rows, keys, merge):
    """Insert ``rows``, merging each with the stored row of the same key.

    ``merge(stored, incoming)`` returns ``[(column name, expression)]``:
    ``stored`` is the table's columns, ``incoming`` the proposed row's.
    The list is applied in order on MySQL, where an assignment sees the
    columns assigned before it, so a column that others compare with is
    assigned last. Rows must have distinct keys (merge them first) and the
    same columns.
    """
    if not rows:
        return
    # A stable key order keeps concurrent batches from deadlocking.
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    sql, names, positional = _compiled_upsert(
        connection.dialect, table, tuple(rows[0]), tuple(keys), merge)
    if connection.dialect.name == 'postgresql':
        _upsert_values(connection, sql, rows)
        return
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        if positional:
            params = [tuple(row[name] for name in names) for row in chunk]
        else:
            params = chunk
        # The statement is compiled once per process: executing it through
        # the driver skips SQLAlchemy's per-row parameter processing, which
        # costs more than the statement itself for these narrow rows.
        connection.exec_driver_sql(sql, params)


def _upsert_values(connection, sql, rows):
    """The upsert as multi-row statements on PostgreSQL.

    psycopg2's executemany sends one statement per row, a round trip
    each; ``execute_values`` sends ``CHUNK`` rows per statement. The rows
    of one statement have distinct keys (the caller merged them), which
    PostgreSQL requires of an ON CONFLICT DO UPDATE.
    """
    from psycopg2 import extras

    statement, template = _values_form(sql)
    with bulk.driver_cursor(connection) as cursor:
        extras.execute_values(cursor, statement, rows, template=template,
                              page_size=CHUNK)


@functools.cache
def _values_form(sql):
    """``INSERT ... VALUES %s ...`` and the ``(%(a)s, ...)`` template of a
    compiled one-row ``INSERT ... VALUES (%(a)s, ...) ...``."""
    match = _VALUES_GROUP.search(sql)
    return (sql[:match.start(1)] + '%s' + sql[match.end(1):],
            match.group(1))


# The row of a compiled psycopg2 INSERT: VALUES (%(a)s, %(b)s, ...).
_VALUES_GROUP = re.compile(r'VALUES (\((?:%\(\w+\)s(?:, )?)+\))')


_COMPILED = {}


def _compiled_upsert(dialect, table, columns, keys, merge):
    """(SQL text, bind names in order, positional?) of an upsert."""
    cache_key = (dialect.name, dialect.paramstyle, table.name, columns,
                 keys, merge)
    found = _COMPILED.get(cache_key)
    if found is not None:
        return found
    if dialect.name == 'mysql':
        statement = mysql.insert(table).values(
            {name: sa.bindparam(name) for name in columns})
        statement = statement.on_duplicate_key_update(
            merge(table.c, statement.inserted))
    else:
        module = postgresql if dialect.name == 'postgresql' else sqlite
        statement = module.insert(table).values(
            {name: sa.bindparam(name) for name in columns})
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_=dict(merge(table.c, statement.excluded)))
    compiled = statement.compile(dialect=dialect)
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup) if positional else columns
    if not positional:
        extra = set(compiled.binds) - set(columns)
        if extra:
            raise ValueError('upsert of %s binds %s' % (table.name, extra))
    found = _COMPILED[cache_key] = (compiled.string, names, positional)
    return found


def insert_ignore(connection, table, rows, keys=None):
    """Insert ``rows``; a row whose unique key is taken is skipped.

    :param keys: the columns of the unique key that decides (rows are
        sorted by them); None: any unique key of the table.
    """
    if not rows:
        return
    if keys is not None:
        rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    statement = _insert_ignore_statement(connection.dialect.name, table,
                                         None if keys is None
                                         else tuple(keys))
    for start in range(0, len(rows), CHUNK):
        connection.execute(statement, rows[start:start + CHUNK])


@functools.cache
def _insert_ignore_statement(name, table, keys):
    """The statement of ``insert_ignore``, built once per process.

    A statement built anew for every batch had SQLAlchemy derive its
    cache key again (to find the compiled form) at every execution;
    one kept statement has it computed once.
    """
    statement = _INSERTS[name](table)
    if name == 'mysql':
        # Not INSERT IGNORE: IGNORE turns every error of the statement
        # into a warning, not only the duplicate key: a value too long is
        # truncated, a NULL in a NOT NULL column becomes the column's
        # zero value, and MySQL would store silently what PostgreSQL and
        # the other rows refuse. Assigning the key column to itself
        # skips the duplicate and changes nothing.
        key = next(iter(table.primary_key.columns)).name
        statement = statement.on_duplicate_key_update({key: table.c[key]})
    elif keys is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=list(keys))
    else:
        statement = statement.on_conflict_do_nothing()
    return statement
