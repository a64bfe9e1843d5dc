"""devstack's own source, at a pinned commit, for the plugin harness.

The harness sources devstack's ``functions``, ``stackrc`` and ``lib/*``
from a checkout of devstack at ``COMMIT``. Where that checkout comes from,
first match wins:

* ``STACKTACH_TEST_DEVSTACK_DIR``: a devstack checkout used as it is (a
  developer's own clone; its commit is not checked);
* the cache, ``$STACKTACH_TEST_DEVSTACK_CACHE`` (default
  ``~/.cache/stacktach-ng``) ``/devstack-<COMMIT>``: filled once by a
  ``git clone`` of ``STACKTACH_TEST_DEVSTACK_REPO`` (default the
  canonical devstack repository; a local mirror or bundle path works
  too) checked out at ``COMMIT``.

When neither can be had (no clone possible, no network), the tests that
need devstack are skipped on a developer's machine and fail under
``CI=true`` (``services.unavailable``).

Moving to a newer devstack is changing ``COMMIT`` (and the date below):
the harness then runs the plugin against that devstack's functions, so a
renamed or changed helper fails the tests.
"""

import os
import shutil
import subprocess
import sys
import tempfile

from tests.functional import services

# devstack master of 2026-07-17 ("Collect Guru Meditation Reports on failed
# job runs" merged).
COMMIT = '493835a61a996731a7031861f80c7629acd5d6f2'
DEFAULT_REPO = 'https://opendev.org/openstack/devstack'
# The files the harness sources: a checkout without them is no devstack.
NEEDED = ('functions', 'functions-common', 'stackrc', 'inc/async',
          'lib/apache', 'lib/database', 'lib/keystone', 'lib/nova')


def _cache_dir():
    base = os.environ.get('STACKTACH_TEST_DEVSTACK_CACHE') or os.path.join(
        os.path.expanduser('~'), '.cache', 'stacktach-ng')
    return os.path.join(base, 'devstack-%s' % COMMIT)


def _is_devstack(path):
    return all(os.path.isfile(os.path.join(path, name)) for name in NEEDED)


def _git(*args, cwd=None):
    return subprocess.run(['git', *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def _clone(repo, target):
    """Clone ``repo`` at COMMIT into ``target`` (atomically: a clone cut
    short leaves nothing behind, and two test workers may race)."""
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix='.devstack-', dir=parent)
    try:
        clone = _git('clone', '--quiet', '--no-checkout', repo, work)
        if clone.returncode != 0:
            return clone.stderr.strip() or 'git clone failed'
        checkout = _git('checkout', '--quiet', '--detach', COMMIT, cwd=work)
        if checkout.returncode != 0:
            return checkout.stderr.strip() or 'no commit %s' % COMMIT
        try:
            os.rename(work, target)
        except OSError:
            if not _is_devstack(target):
                raise
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def devstack_dir():
    """A devstack checkout, or the test is skipped (failed under CI)."""
    explicit = os.environ.get('STACKTACH_TEST_DEVSTACK_DIR')
    if explicit:
        if not _is_devstack(explicit):
            services.unavailable('devstack', 'STACKTACH_TEST_DEVSTACK_DIR=%s '
                                 'is no devstack checkout' % explicit)
        return explicit
    target = _cache_dir()
    if _is_devstack(target):
        return target
    if not shutil.which('git'):
        services.unavailable('devstack', 'git is not installed')
    repo = os.environ.get('STACKTACH_TEST_DEVSTACK_REPO', DEFAULT_REPO)
    error = _clone(repo, target)
    if error is not None or not _is_devstack(target):
        services.unavailable('devstack', 'cannot clone %s at %s into %s: %s'
                             % (repo, COMMIT, target, error))
    return target


def dbcounter_dir(devstack):
    """A directory for PYTHONPATH holding devstack's ``dbcounter``
    SQLAlchemy plugin, built from ``devstack``'s tools/dbcounter.

    devstack's MySQL URLs name it (``plugin=dbcounter``) and devstack
    pip-installs it on the node that runs MySQL; the harness replaces
    that pip_install, so the tests install it here, once, beside the
    checkout. When it cannot be built, the tests that need it are skipped
    (failed under CI).
    """
    target = os.path.join(os.path.dirname(_cache_dir()),
                          'dbcounter-%s' % COMMIT)
    if os.path.isfile(os.path.join(target, 'dbcounter.py')):
        return target
    work = tempfile.mkdtemp(prefix='.dbcounter-',
                            dir=os.path.dirname(target))
    try:
        result = subprocess.run(
            [sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
             '--target', work, os.path.join(devstack, 'tools', 'dbcounter')],
            capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            services.unavailable('dbcounter', 'pip could not build '
                                 "devstack's tools/dbcounter: %s"
                                 % result.stderr.strip()[-500:])
        try:
            os.rename(work, target)
        except OSError:
            if not os.path.isfile(os.path.join(target, 'dbcounter.py')):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
