"""Every query parameter a command sends is one the API declares for that
path (the API answers 400 to any other), with every option given."""

import pytest

from stacktach_ng.api.schemas import parameters
from stacktach_ng.client.osc.v1 import errors
from stacktach_ng.client.osc.v1 import notifications
from stacktach_ng.client.osc.v1 import requests
from stacktach_ng.client.osc.v1 import resources
from stacktach_ng.client.osc.v1 import summary
from stacktach_ng.client.osc.v1 import timings
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url

SCOPE = ('--project', 'p1')
RANGE = ('--since', '1h', '--until', 'now')

CASES = [
    (notifications.ListNotification, '/v1/notifications',
     parameters.NOTIFICATION_LIST,
     SCOPE + RANGE + ('--marker', 'm', '--sort-dir', 'asc') + tuple(
         arg for name, _ in notifications.FILTERS
         for arg in ('--' + name.replace('_', '-'), 'x'))),
    (notifications.ListHost, '/v1/hosts', parameters.COUNTS,
     SCOPE + RANGE + ('--marker', 'h')),
    (requests.ListRequest, '/v1/requests', parameters.REQUEST_LIST,
     SCOPE + RANGE + ('--operation', 'o', '--outcome', 'open',
                      '--marker', 'r')),
    (resources.ListResource, '/v1/resources', parameters.RESOURCE_LIST,
     SCOPE + ('--stuck', '--older-than', '60', '--marker', 'r')),
    (resources.ListResource, '/v1/resources', parameters.RESOURCE_LIST,
     ('--all-projects', '--type', 'volume')),
    (timings.ListTiming, '/v1/timings', parameters.TIMING_LIST,
     SCOPE + RANGE + ('--operation', 'o', '--host', 'h', '--resource-id',
                      'r', '--request-id', 'q', '--outcome', 'error',
                      '--marker', '3')),
    (timings.SummaryTiming, '/v1/timings/summary',
     parameters.TIMING_SUMMARY,
     SCOPE + RANGE + ('--operation', 'o', '--group-by', 'host',
                      '--bucket', '60')),
    (errors.ListError, '/v1/errors', parameters.ERROR_LIST,
     SCOPE + RANGE + ('--operation', 'o', '--host', 'h', '--marker', 'f')),
    (errors.ShowError, '/v1/errors/f', parameters.ERROR_SHOW,
     ('f', '--events', '3') + RANGE),
    (summary.ShowSummary, '/v1/summary', parameters.SUMMARY,
     SCOPE + RANGE + ('--bucket', '60')),
]


@pytest.mark.parametrize('command, path, declared, argv', CASES)
def test_commands_send_only_declared_parameters(api, run, command, path,
                                                declared, argv):
    key = path.rsplit('/', 1)[1]
    api.get(url(path), json={key: [], 'summary': [], 'next': None})
    run(command, *argv)
    sent = set(query(api.last_request))
    names = {parameter['name'] for parameter in declared}
    assert sent <= names, sent - names
    # Every option given reached the API (nothing silently dropped).
    assert len(sent) >= len([a for a in argv if a.startswith('--')])
