"""What a stuck resource waits on (``states.waiting_on``): each answer
written out by hand from how nova moves an instance along."""

from stacktach_ng.analyses import states


def test_scheduled_but_not_started_waits_on_an_unnamed_compute():
    # The scheduler is done: the build was cast to a compute host that no
    # notification names yet.
    got = states.waiting_on('scheduling', host='cmp-1', scheduled=True)
    assert got['service'] == 'nova-compute'
    assert got['host'] is None
    assert 'scheduler chose a host' in got['detail']


def test_still_scheduling_waits_on_the_scheduler():
    assert states.waiting_on('scheduling', host='cmp-1') == {
        'service': 'nova-scheduler', 'host': None, 'detail': None}
    # "scheduled" says nothing of another task state.
    assert states.waiting_on('spawning', host='cmp-1', scheduled=True) == {
        'service': 'hypervisor', 'host': 'cmp-1', 'detail': None}


def test_a_shutdown_waits_on_neutron_and_names_the_compute_host():
    got = states.waiting_on('deleting', operation='instance.shutdown',
                            host='cmp-2')
    assert got['service'] == 'neutron'
    # neutron's host is not the instance's.
    assert got['host'] is None
    assert got['detail'].startswith('nova-compute on cmp-2 is shutting')
    unknown = states.waiting_on('deleting', operation='instance.shutdown')
    assert unknown['detail'].startswith('nova-compute is shutting')


def test_a_delete_waits_on_its_compute_host():
    got = states.waiting_on('deleting', operation='instance.delete',
                            host='cmp-2')
    assert got['service'] == 'nova-compute'
    assert got['host'] == 'cmp-2'
    assert got['detail'].startswith('nova-compute on cmp-2 is deleting')


def test_task_states_wait_on_their_service():
    # (task state, service, whether the instance's host is the one)
    for task_state, service, on_host in (
            ('networking', 'neutron', False),
            ('block_device_mapping', 'cinder', False),
            ('spawning', 'hypervisor', True),
            ('image_uploading', 'glance', False),
            ('deleting', 'nova-compute', True),
            ('resize_prep', 'nova-scheduler', False)):
        got = states.waiting_on(task_state, operation='instance.create',
                                host='cmp-3')
        assert got == {'service': service,
                       'host': 'cmp-3' if on_host else None,
                       'detail': None}, task_state


def test_no_task_state_waits_on_nothing():
    assert states.waiting_on(None, host='cmp-3') is None
    assert states.waiting_on('a-state-nova-never-had') is None
