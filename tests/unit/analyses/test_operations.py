"""What counts as a failure, written out by hand from the rule of
``analyses.failures``: a priority ERROR or CRITICAL, or an event type
ending in ``.error`` whatever its priority."""

import pytest

from stacktach_ng.analyses import operations


@pytest.mark.parametrize('event_type, priority, expected', [
    ('volume.create.error', 'INFO', True),
    ('volume.create.error', 'ERROR', True),
    ('compute.instance.create.end', 'CRITICAL', True),
    ('compute.instance.create.end', 'INFO', False),
    # The phase is ".error" as notifiers spell it: neither another case
    # nor "_error" in a name is that phase.
    ('volume.create.ERROR', 'INFO', False),
    ('image.mirror_error', 'INFO', False),
])
def test_a_failure_is_its_priority_or_its_error_phase(event_type, priority,
                                                       expected):
    row = {'event_type': event_type, 'priority': priority}
    assert operations.is_error(row) is expected


def test_ironic_s_success_ends_its_operation():
    # Ironic ends an action with ".success" as well as ".end" (its
    # documented baremetal.node.power_state_corrected.success, in
    # tests/fixtures/real/ironic.json): its definition says so, and other
    # services keep the default phases.
    assert operations.operation_of(
        'baremetal.node.power_state_corrected.success') == (
        'baremetal.node.power_state_corrected', 'end')
    assert operations.operation_of('volume.create.success') == (
        'volume.create.success', None)
