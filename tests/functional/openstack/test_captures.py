"""The captured traffic of tests/fixtures/openstack, without a cloud.

The captures are what a real cloud sent (see SOURCES.rst there); these
checks keep them usable as the fixtures of fast tests: every line is
imported by ``stacktach-ng-manage import``, none rejected, none taken for
a duplicate, and each step's file holds the traffic of its step.
"""

import glob
import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'fixtures',
                        'openstack')
STEPS = ('setup', 'boot', 'stop-start', 'resize-confirm', 'delete',
         'novalidhost', 'reschedule', 'stuck-boot', 'stuck-delete', 'audit')


def _lines(step):
    with open(os.path.join(FIXTURES, '%s.jsonl' % step),
              encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def test_every_step_was_captured():
    names = {os.path.basename(path)[:-len('.jsonl')]
             for path in glob.glob(os.path.join(FIXTURES, '*.jsonl'))}
    assert names == set(STEPS)
    for step in STEPS[1:]:
        assert os.path.exists(os.path.join(FIXTURES, '%s.nova.json' % step))


def test_captures_import_whole(tmp_path):
    conf = tmp_path / 'stacktach-ng.conf'
    conf.write_text('[database]\nconnection = sqlite:///%s\n'
                    % (tmp_path / 'st.sqlite'))
    manage = os.path.join(os.path.dirname(sys.executable),
                          'stacktach-ng-manage')
    subprocess.run([manage, '--config-file', str(conf), 'db', 'upgrade'],
                   check=True, capture_output=True)
    files = [os.path.join(FIXTURES, '%s.jsonl' % step) for step in STEPS]
    result = subprocess.run(
        [manage, '--config-file', str(conf), 'import'] + files,
        capture_output=True, text=True, check=True)
    total = sum(len(_lines(step)) for step in STEPS)
    summary = re.search(r'read (\d+), stored (\d+), duplicates (\d+), '
                        r'rejected (\d+)', result.stdout + result.stderr)
    assert summary, result.stdout + result.stderr
    assert tuple(int(n) for n in summary.groups()) == (total, total, 0, 0)


@pytest.mark.parametrize('step,event_type', [
    ('boot', 'instance.create.end'), ('stop-start', 'instance.power_on.end'),
    ('resize-confirm', 'instance.resize_confirm.end'),
    ('delete', 'instance.delete.end'),
    ('novalidhost', 'compute_task.build_instances.error'),
    ('reschedule', 'instance.create.error'),
    ('stuck-boot', 'instance.create.end'),
    ('stuck-delete', 'instance.delete.end'),
    ('audit', 'instance.exists')])
def test_each_step_holds_its_traffic(step, event_type):
    """Both formats of the step's own outcome, once each."""
    event_types = [m['event_type'] for m in _lines(step)]
    # The legacy names that are not the versioned ones under compute.
    legacy = {'compute_task.build_instances.error':
              'compute_task.build_instances',
              'instance.resize_confirm.end':
              'compute.instance.resize.confirm.end'}.get(
                  event_type, 'compute.' + event_type)
    assert event_type in event_types
    assert legacy in event_types
