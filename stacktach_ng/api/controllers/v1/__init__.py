"""Version 1 of the API: ``/v1/...``."""

import pecan
import webob

from stacktach_ng.api import openapi
from stacktach_ng.api import validation
from stacktach_ng.api.controllers.v1 import counts
from stacktach_ng.api.controllers.v1 import errors
from stacktach_ng.api.controllers.v1 import notifications
from stacktach_ng.api.controllers.v1 import requests
from stacktach_ng.api.controllers.v1 import resources
from stacktach_ng.api.controllers.v1 import summary
from stacktach_ng.api.controllers.v1 import timings
from stacktach_ng.api.controllers.v1 import usage as usage_controllers
from stacktach_ng.api.schemas import parameters

# The collections listed by GET /v1/ (name -> path under /v1/).
RESOURCES = ('notifications', 'event_types', 'hosts', 'services',
             'requests', 'resources', 'timings', 'errors', 'summary',
             'usage/launches', 'usage/deletes', 'usage/exists',
             'usage/missing', 'usage/report', 'verifications')


class OpenAPIController:

    # Declared as JSON so that "Accept: application/json" is not a 406.
    @pecan.expose(content_type='application/json')
    def index(self, **_query):
        validation.validate(pecan.request, parameters.NONE)
        return webob.Response(body=openapi.rendered(
                                  pecan.request.application_url),
                              content_type='application/json',
                              charset=None)


class Controller:
    """The root of ``/v1``."""

    notifications = notifications.NotificationsController()
    event_types = counts.event_types()
    hosts = counts.hosts()
    services = counts.services()
    requests = requests.RequestsController()
    resources = resources.ResourcesController()
    timings = timings.TimingsController()
    errors = errors.ErrorsController()
    summary = summary.SummaryController()
    usage = usage_controllers.UsageController()
    verifications = usage_controllers.VerificationsController()

    @pecan.expose('json')
    def index(self, **_query):
        request = pecan.request
        validation.validate(request, parameters.NONE)
        base = request.application_url + '/v1/'
        return {
            'id': 'v1',
            'links': [{'rel': 'self', 'href': base},
                      {'rel': 'describedby', 'href': base + 'openapi.json'}],
            'resources': {name: {'rel': 'collection', 'href': base + name}
                          for name in RESOURCES},
        }


pecan.route(Controller, 'openapi.json', OpenAPIController())
