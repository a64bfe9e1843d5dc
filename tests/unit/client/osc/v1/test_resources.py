import pytest
from osc_lib import exceptions as osc_exc

from stacktach_ng.client.osc.v1 import resources
from tests.unit.client.conftest import human
from tests.unit.client.conftest import machine
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url

RESOURCE = {'resource_id': 'i-1', 'resource_type': 'instance',
            'project_id': 'p1', 'first_seen': 't0', 'last_seen': 't9',
            'vm_state': 'building', 'task_state': 'spawning',
            'power_state': None, 'status': None, 'state_at': 't5',
            'state_event_type': 'compute.instance.update',
            'state_request_id': 'req-1', 'state_host': 'c1'}


def test_list(api, run):
    api.get(url('/v1/resources'), json={'resources': [RESOURCE],
                                        'next': None})
    columns, rows = run(resources.ListResource, '--type', 'instance')
    assert columns == resources.COLUMNS
    assert rows[0][:3] == ('i-1', 'instance', 'building')
    assert query(api.last_request) == {'resource_type': 'instance',
                                       'limit': '100'}


def test_list_stuck(api, run):
    stuck = dict(RESOURCE, since='t5', stuck_for_us=900_000_000,
                 operation={'operation': 'instance.create',
                            'outcome': 'open'},
                 last_step={'at': 't5'},
                 waiting_on={'service': 'hypervisor', 'host': 'c1'})
    api.get(url('/v1/resources'), json={'resources': [stuck],
                                        'next': None})
    columns, rows = run(resources.ListResource, '--stuck',
                        '--older-than', '10m', '--long')
    assert columns == resources.STUCK_COLUMNS + resources.STUCK_LONG_COLUMNS
    row = dict(zip(columns, rows[0], strict=True))
    assert human(row['stuck_for_us']) == '15m00s'
    assert human(row['operation']) == 'instance.create'
    assert machine(row['operation'])['outcome'] == 'open'
    assert human(row['waiting_on']) == 'hypervisor@c1'
    assert query(api.last_request) == {'stuck': 'true', 'older_than': '600',
                                       'limit': '100'}


def test_older_than_needs_stuck(run):
    with pytest.raises(osc_exc.CommandError, match='--stuck'):
        run(resources.ListResource, '--older-than', '600')


def test_show_renders_the_timeline(api, run):
    api.get(url('/v1/resources/i-1'), json=dict(
        RESOURCE,
        transitions=[{'at': 't1', 'field': 'task_state', 'from': None,
                      'to': 'scheduling', 'event_type': 'e',
                      'request_id': 'req-1', 'service': 'compute',
                      'host': 'api', 'message_id': 'm1'}],
        task_states=[{'task_state': 'scheduling', 'entered_at': 't1',
                      'left_at': 't2', 'duration_us': 2_000_000},
                     {'task_state': 'spawning', 'entered_at': 't2',
                      'left_at': None, 'duration_us': None}],
        time_in_task_state={'scheduling': 2_000_000},
        operations=[{'operation': 'instance.create', 'outcome': 'open',
                     'duration_us': None, 'started_at': 't1',
                     'request_id': 'req-1'}],
        faults=[]))
    columns, data = run(resources.ShowResource, 'i-1')
    assert columns[:2] == ('resource_id', 'resource_type')
    fields = dict(zip(columns, data, strict=True))
    assert human(fields['transitions']).split()[:5] == [
        't1', 'task_state', '-', '->', 'scheduling']
    assert human(fields['task_states']).splitlines()[1].split() == [
        'spawning', '(current)']
    assert human(fields['time_in_task_state']).split() == ['scheduling',
                                                          '2.00s']
    assert human(fields['operations']).split()[:2] == ['instance.create',
                                                      'open']
    assert machine(fields['transitions'])[0]['message_id'] == 'm1'
