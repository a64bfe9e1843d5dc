"""The dialect forms of the upsert statements."""

from stacktach_ng.db import upsert


def test_values_form_of_a_postgresql_upsert():
    sql = ('INSERT INTO t (a, b) VALUES (%(a)s, %(b)s) ON CONFLICT (a) '
           'DO UPDATE SET b = (t.b + excluded.b)')
    assert upsert._values_form(sql) == (
        'INSERT INTO t (a, b) VALUES %s ON CONFLICT (a) '
        'DO UPDATE SET b = (t.b + excluded.b)', '(%(a)s, %(b)s)')
