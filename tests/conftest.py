import os

import pytest

from tests.functional import services

SAMPLES_DIR = os.environ.get(
    'STACKTACH_SAMPLES_DIR',
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))), '..', 'shared', 'samples'))


@pytest.fixture(scope='session')
def samples_dir():
    """The directory of real OpenStack notification samples beside the
    project: an extra over the project's own captures (tests/fixtures),
    a missing dependency like a service (skipped, a failure when
    ``CI=true``)."""
    path = os.path.abspath(SAMPLES_DIR)
    if not os.path.isdir(path):
        services.unavailable('The notification samples',
                             'no directory %s (STACKTACH_SAMPLES_DIR)'
                             % path)
    return path
