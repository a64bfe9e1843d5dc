"""A real Keystone for functional tests.

The Keystone of ``tests.fixtures.keystone`` (the API benchmark starts
the same one), with a virtualenv of the tests' own: Keystone runs from it
(its dependencies never touch the project's), it is created on first use
and cached between runs, and Keystone is served by gunicorn on a free
loopback port with a SQLite database in a temporary directory.

Usage::

    keystone = keystone_fixture.Keystone(str(tmp_path_factory.mktemp('ks')))
    keystone.start()                       # about 10-20 s, venv cached
    project = keystone.create_project('project-a')
    keystone.create_user('alice', 'pw', project, roles=['reader'])
    token = keystone.token('alice', 'pw', project_id=project)
    keystone.register_service('http://127.0.0.1:8799/')  # type stacktach
    conf_overrides = keystone.authtoken_options()  # [keystone_authtoken]
    ...
    keystone.stop()

See ``tests.fixtures.keystone`` for the attributes and methods.

Where the virtualenv lives: ``STACKTACH_TEST_KEYSTONE_VENV``, by default
``~/.cache/stacktach-ng-tests/keystone-venv``. A missing or broken one is
(re)created with ``python -m venv`` and ``pip install keystone gunicorn``
(a few minutes on a fresh machine); a file lock keeps parallel test
workers from building it twice.
"""

import os

from tests.fixtures import keystone as keystone_server

VENV_ENV = 'STACKTACH_TEST_KEYSTONE_VENV'
DEFAULT_VENV = os.path.join(os.path.expanduser('~'), '.cache',
                            'stacktach-ng-tests', 'keystone-venv')
PACKAGES = keystone_server.PACKAGES
SERVICE_TYPE = keystone_server.SERVICE_TYPE
REGION = keystone_server.REGION

KeystoneError = keystone_server.KeystoneError


def venv_path():
    return os.environ.get(VENV_ENV) or DEFAULT_VENV


def ensure_venv(path=None, timeout=900):
    """The path of a virtualenv with Keystone and gunicorn, built when
    missing."""
    return keystone_server.ensure_venv(path or venv_path(), timeout=timeout)


class Keystone(keystone_server.Keystone):
    """A Keystone process with its own database and keys, from the tests'
    virtualenv."""

    @staticmethod
    def default_venv():
        return venv_path()
