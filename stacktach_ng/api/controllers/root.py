"""``/``: the versions document, ``/v1`` and ``/metrics``.

``/healthcheck`` is not here: oslo.middleware's healthcheck application
answers it before authentication (see ``stacktach_ng.api.app``).
"""

import pecan

from stacktach_ng.api import validation
from stacktach_ng.api.controllers import metrics
from stacktach_ng.api.controllers import v1
from stacktach_ng.api.schemas import parameters


def version_v1(request):
    return {'id': 'v1', 'status': 'CURRENT',
            'links': [{'rel': 'self',
                       'href': request.application_url + '/v1/'}]}


class RootController:

    v1 = v1.Controller()
    metrics = metrics.MetricsController()

    @pecan.expose('json')
    def index(self, **_query):
        request = pecan.request
        validation.validate(request, parameters.NONE)
        current = version_v1(request)
        return {'versions': [current], 'default_version': current}
