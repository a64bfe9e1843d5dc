import json

import pytest
import webob

from stacktach_ng.api import app
from tests import base


@pytest.mark.parametrize('accept', ['application/json', '*/*', None])
def test_openapi_document_served_for_json_clients(accept):
    conf = base.make_conf('sqlite://', api={'auth_strategy': 'noauth'})
    request = webob.Request.blank('/v1/openapi.json')
    if accept:
        request.accept = accept
    response = request.get_response(app.setup_app(conf))
    assert response.status_int == 200
    assert response.content_type == 'application/json'
    assert json.loads(response.body)['openapi'].startswith('3.')
