from stacktach_ng.client.osc.v1 import verifications
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url


def test_list(api, run):
    api.get(url('/v1/verifications'), json={'verifications': [{
        'id': 3, 'resource_type': 'instance', 'resource_id': 'i-1',
        'audit_period_ending': 't', 'status': 'failed',
        'reason': 'launched_at_mismatch', 'verified_at': 't2'}],
        'next': None})
    columns, rows = run(verifications.ListVerification, '--status',
                        'failed', '--type', 'instance')
    assert columns == verifications.COLUMNS
    row = dict(zip(columns, rows[0], strict=True))
    assert row['reason'] == 'launched_at_mismatch'
    assert query(api.last_request) == {'status': 'failed',
                                       'resource_type': 'instance',
                                       'limit': '100'}
