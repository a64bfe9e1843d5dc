import datetime

import pytest

from stacktach_ng.simulator import engine
from tests.functional.api import data as api_data
from tests.functional.client import server

#: Simulated traffic of the no-auth API: boots, deletes, resizes,
#: failures... of ten projects, for the analyses.
SIMULATED = 1500


@pytest.fixture(scope='module')
def noauth_api(tmp_path_factory):
    """The no-auth API process over the standard two-project dataset plus
    simulated traffic; yields ``(api, dataset)``."""
    workdir = tmp_path_factory.mktemp('noauth-api')
    dataset = api_data.standard()
    files = [
        server.write_jsonl(workdir / 'standard.jsonl', dataset.envelopes),
        server.write_jsonl(workdir / 'simulated.jsonl',
                           engine.sample_messages(
                               count=SIMULATED, seed=5,
                               start=datetime.datetime(2026, 2, 1))),
    ]
    # Small pages, so that listings cross several of them.
    api = server.ApiProcess(workdir, sections={'api': {'max_limit': 50}})
    api.prepare(*files)
    api.start()
    yield api, dataset
    api.stop()


@pytest.fixture
def openstack(noauth_api):
    """``openstack`` pointed at the no-auth API by OS_STACKTACH_URL."""
    api, _ = noauth_api
    return server.OpenStack(OS_AUTH_TYPE='none', OS_STACKTACH_URL=api.url)
