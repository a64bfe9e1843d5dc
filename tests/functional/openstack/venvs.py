"""The cloud's virtualenvs, built from pinned requirements and cached.

They live in ``STACKTACH_TEST_OPENSTACK_DIR`` (by default
``.tox/openstack-cloud`` of the checkout), outside the git tree. A
virtualenv is rebuilt when its requirements or constraints file changed
(a stamp file keeps their digest); a file lock keeps two test runs from
building it at once.
"""

import fcntl
import hashlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CACHE_ENV = 'STACKTACH_TEST_OPENSTACK_DIR'

# name: (requirements, constraints), relative to this directory
VENVS = {
    'cloud': ('cloud-requirements.txt', 'cloud-constraints.txt'),
    'neutron': ('neutron-requirements.txt', 'neutron-constraints.txt'),
}


class InstallFailed(RuntimeError):
    pass


def cache_dir():
    path = os.environ.get(CACHE_ENV) or os.path.join(
        REPO_ROOT, '.tox', 'openstack-cloud')
    os.makedirs(path, exist_ok=True)
    return path


def _digest(files):
    digest = hashlib.sha256()
    for name in files:
        with open(os.path.join(HERE, name), 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()


def _run(command, log):
    log.write(('$ %s\n' % ' '.join(command)).encode())
    log.flush()
    result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode:
        raise InstallFailed('%s failed (exit %d), see %s' % (
            ' '.join(command[:4]), result.returncode, log.name))


def ensure(name):
    """The path of virtualenv ``name``, built when missing or stale."""
    requirements, constraints = VENVS[name]
    root = cache_dir()
    path = os.path.join(root, name)
    stamp = os.path.join(path, '.stacktach-test-stamp')
    wanted = _digest((requirements, constraints))
    with open(os.path.join(root, '.%s.lock' % name), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(stamp) as f:
                if f.read().strip() == wanted:
                    return path
        except OSError:
            pass
        with open(os.path.join(root, '%s-install.log' % name), 'wb') as log:
            _run([sys.executable, '-m', 'venv', '--clear', path], log)
            pip = [os.path.join(path, 'bin', 'python'), '-m', 'pip',
                   'install', '--disable-pip-version-check', '-q']
            _run(pip + ['-U', 'pip', 'setuptools', 'wheel'], log)
            _run(pip + ['-c', os.path.join(HERE, constraints),
                        '-r', os.path.join(HERE, requirements)], log)
        with open(stamp, 'w') as f:
            f.write(wanted)
    return path


def bin_path(venv, program):
    return os.path.join(venv, 'bin', program)
