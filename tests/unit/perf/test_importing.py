"""The floor of an import: parsing and the driver's insert, nothing else."""

import sqlalchemy as sa

from stacktach_ng.replay import parallel
from tests.perf import importing


def _count(url, sql):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def test_floor_inserts_every_row_with_and_without_lookup_indexes(tmp_path):
    path = importing.generate(str(tmp_path / 'in.jsonl'), 120, seed=3)
    index_sql = ("SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                 "AND name LIKE 'ix_notifications_%'")
    for secondary_indexes, indexes in ((True, 9), (False, 0)):
        url = 'sqlite:///%s' % (tmp_path / ('f%d.db' % secondary_indexes))
        floor = importing.measure_floor(url, path, 50,
                                        secondary_indexes=secondary_indexes)
        assert floor['count'] == 120
        assert floor['rate'] > 0
        assert floor['read_us'] > 0 and floor['insert_us'] > 0
        assert _count(url, 'SELECT count(*) FROM notifications') == 120
        assert _count(url, index_sql) == indexes


def test_the_bench_reads_the_line_each_import_job_logs():
    stats = parallel.JobStats(2, parts=3, seconds=1.5, part_wait=0.2,
                              lock_wait=0.5, lock_held=0.7, cpu=1.3)
    # As oslo.log prints it: the logger's prefix, then the message.
    line = ('2026-12-04 20:00:00.000 1 INFO stacktach_ng.cmd.manage.ingest '
            '[-] Import %s' % stats.text())
    assert importing._JOB.findall(line) == [('2', '1.3', '0.2', '0.5',
                                             '0.7')]
