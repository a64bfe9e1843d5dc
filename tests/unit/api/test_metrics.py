import datetime

from stacktach_ng.api.controllers import metrics

NOW = datetime.datetime(2026, 1, 1, 12, 0, 0)


def _metrics(backlog=None):
    return {
        'counters': {'stored': 10, 'duplicates': 2, 'rejected': 1,
                     'requeued': 3, 'batches': 4, 'conflicts': 5,
                     'undated': 6},
        'workers': [{'worker': 'h:1', 'host': 'h', 'started_at': NOW,
                     'last_seen': NOW - datetime.timedelta(seconds=5)}],
        'rejected_stored': 1,
        'lag': {'nova': 2.5, 'glance"x': 1.0},
        'verifier_backlog': backlog,
    }


def test_render_prometheus_text():
    text = metrics.render(_metrics(backlog=7), NOW)
    lines = text.splitlines()
    assert 'stacktach_notifications_stored_total 10' in lines
    assert 'stacktach_notifications_requeued_total 3' in lines
    assert 'stacktach_notifications_conflicts_total 5' in lines
    assert 'stacktach_notifications_undated_total 6' in lines
    assert 'stacktach_ingest_lag_seconds{service="nova"} 2.5' in lines
    assert 'stacktach_ingest_lag_seconds{service="glance\\"x"} 1.0' in lines
    assert ('stacktach_listener_heartbeat_age_seconds{host="h",'
            'worker="h:1"} 5.0') in lines
    assert 'stacktach_verifier_backlog 7' in lines
    assert '# TYPE stacktach_notifications_stored_total counter' in lines


def test_backlog_absent_without_usage_tables():
    assert 'stacktach_verifier_backlog' not in metrics.render(_metrics(), NOW)
