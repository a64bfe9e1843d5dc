"""Column types that mean the same thing on SQLite, MariaDB and PostgreSQL."""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql

# Microsecond precision everywhere: durations are computed from these.
# MySQL/MariaDB DATETIME drops fractions unless told otherwise.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')

# JSON documents stored as text (payloads up to [listener] max_message_size).
# MySQL TEXT stops at 64 KiB; MEDIUMTEXT holds 16 MiB.
JsonText = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql')

# Bounded text such as a rejected message's excerpt or an error message.
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql')


def Identifier(length):
    """A string compared byte for byte: message, request, resource and
    project ids.

    MySQL/MariaDB compare strings with the column's collation, by default
    a case-insensitive one (``utf8mb4_general_ci``): ids ``True`` and
    ``true`` would collide in a unique key and match each other's
    lookups. ``utf8mb4_bin`` compares them as SQLite and PostgreSQL (in
    a unique key) do.
    """
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset='utf8mb4', collation='utf8mb4_bin'),
        'mysql')


def SortedIdentifier(length):
    """An ``Identifier`` that is also ordered byte for byte, as Python
    orders strings, in an ``ORDER BY`` and its index: PostgreSQL orders
    by the database's locale otherwise (``C`` collation)."""
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset='utf8mb4', collation='utf8mb4_bin'),
        'mysql').with_variant(
        postgresql.VARCHAR(length, collation='C'), 'postgresql')
