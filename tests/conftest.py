import os

import pytest

SAMPLES_DIR = os.environ.get(
    'STACKTACH_SAMPLES_DIR',
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))), '..', 'shared', 'samples'))


@pytest.fixture(scope='session')
def samples_dir():
    """The directory of real OpenStack notification samples, when present
    beside the project (tests over it are skipped otherwise)."""
    path = os.path.abspath(SAMPLES_DIR)
    if not os.path.isdir(path):
        pytest.skip('no notification samples at %s' % path)
    return path
