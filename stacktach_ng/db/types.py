"""Column types that mean the same thing on SQLite, MariaDB and PostgreSQL."""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# Microsecond precision everywhere: durations are computed from these.
# MySQL/MariaDB DATETIME drops fractions unless told otherwise.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')

# JSON documents stored as text (payloads up to [listener] max_message_size).
# MySQL TEXT stops at 64 KiB; MEDIUMTEXT holds 16 MiB.
JsonText = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql')

# Bounded text such as a rejected message's excerpt or an error message.
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql')
