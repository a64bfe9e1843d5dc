"""Planner statistics after a bulk load."""

import sqlalchemy as sa

from stacktach_ng.db import api as db_api


def test_refresh_statistics(migrated_conf):
    database = db_api.Database(migrated_conf)
    try:
        refreshed = database.refresh_statistics()
        assert refreshed == (database.dialect == 'postgresql')
        if refreshed:
            with database.reader() as connection:
                analyzed = connection.execute(sa.text(
                    "SELECT last_analyze IS NOT NULL FROM "
                    "pg_stat_user_tables WHERE relname = 'notifications'"
                )).scalar()
            assert analyzed
    finally:
        database.dispose()
