from sqlalchemy import orm

# Table options every table gets on MySQL/MariaDB.
MYSQL_TABLE_ARGS = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}


class Base(orm.DeclarativeBase):
    pass
