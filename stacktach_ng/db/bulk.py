"""Bulk inserts at the speed of the database driver.

SQLAlchemy's per-row parameter processing costs more than SQLite's own
insert for notification-sized rows. On SQLite, ``insert_rows`` hands the
rows straight to the driver's ``executemany`` and formats datetimes the way
SQLAlchemy stores them, so reads through SQLAlchemy see the same values. On
MariaDB and PostgreSQL the SQLAlchemy path is kept: it batches rows into
multi-row INSERTs (insertmanyvalues), which a plain driver executemany does
not do on psycopg2.
"""

import sqlalchemy as sa

_plans = {}


def _sqlite_datetime(value):
    # SQLAlchemy's SQLite DATETIME storage format: always six fraction
    # digits, space separator.
    return None if value is None else value.isoformat(' ', 'microseconds')


def _plan(table, columns):
    key = (table.name, columns)
    plan = _plans.get(key)
    if plan is None:
        datetime_positions = tuple(
            i for i, name in enumerate(columns)
            if isinstance(table.c[name].type, sa.DateTime))
        statement = 'INSERT INTO %s (%s) VALUES (%s)' % (
            table.name, ', '.join(columns), ', '.join('?' * len(columns)))
        plan = (statement, datetime_positions)
        _plans[key] = plan
    return plan


def insert_rows(connection, table, rows):
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    if connection.dialect.name != 'sqlite':
        connection.execute(table.insert(), rows)
        return
    columns = tuple(rows[0])
    statement, datetime_positions = _plan(table, columns)
    if datetime_positions:
        values = []
        for row in rows:
            row_values = [row[name] for name in columns]
            for position in datetime_positions:
                row_values[position] = _sqlite_datetime(row_values[position])
            values.append(tuple(row_values))
    else:
        values = [tuple([row[name] for name in columns]) for row in rows]
    connection.exec_driver_sql(statement, values)
