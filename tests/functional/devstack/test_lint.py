"""Lint of the devstack plugin and of the harness's own shell code.

bashate with devstack's own settings (E005 and E042 as errors), and
shellcheck. shellcheck is a system package: missing, the test is skipped
on a developer's machine and fails under ``CI=true``.
"""

import glob
import os
import shutil
import subprocess
import sys

from tests.functional import services
from tests.functional.devstack import harness

PLUGIN_FILES = [
    os.path.join(harness.REPO_ROOT, 'devstack', name)
    for name in ('settings', 'plugin.sh', os.path.join('lib',
                                                       'stacktach-ng'))]
HARNESS_FILES = sorted(
    glob.glob(os.path.join(harness.HERE, '*.sh'))
    + glob.glob(os.path.join(harness.HERE, 'bin', '*'))
    + glob.glob(os.path.join(harness.FAKE_HEAT, 'devstack', '*')))


def _run(command):
    result = subprocess.run(command, cwd=harness.REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, '%s:\n%s%s' % (
        ' '.join(command[:2]), result.stdout, result.stderr)
    return result


def test_files_exist():
    for path in PLUGIN_FILES + HARNESS_FILES:
        assert os.path.isfile(path), path
    assert len(HARNESS_FILES) == 9


def test_bashate():
    bashate = os.path.join(os.path.dirname(sys.executable), 'bashate')
    if not os.path.exists(bashate):
        bashate = shutil.which('bashate')
    if not bashate:
        services.unavailable('bashate', 'not installed (test-requirements)')
    result = _run([bashate, '-v', '-eE005,E042'] + PLUGIN_FILES
                  + HARNESS_FILES)
    assert 'warning(s) found' not in result.stdout


def test_shellcheck():
    shellcheck = shutil.which('shellcheck')
    if not shellcheck:
        services.unavailable('shellcheck', 'the shellcheck package is not '
                             'installed')
    _run([shellcheck, '--external-sources', '--shell=bash']
         + PLUGIN_FILES + HARNESS_FILES)
