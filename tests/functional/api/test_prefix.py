"""The API behind a path prefix, as Apache serves it on devstack.

devstack proxies ``http://<host>/stacktach`` to uwsgi: the application
gets ``SCRIPT_NAME=/stacktach`` and the rest of the path in
``PATH_INFO``. Every URL the API hands out (links, ``next``, the OpenAPI
``servers``, the web UI's redirect and assets) must stay under the
prefix, and following it must reach the application again.
"""

import html.parser
import urllib.parse

import orjson
import webob

PREFIX = '/stacktach'
BASE = 'http://cloud.example' + PREFIX


def _get(application, url):
    """GET an absolute URL under BASE, as Apache would pass it on."""
    assert url.startswith(BASE + '/'), url
    parts = urllib.parse.urlsplit(url[len(BASE):])
    request = webob.Request.blank(parts.path, base_url=BASE)
    request.query_string = parts.query
    response = request.get_response(application)
    assert request.environ['SCRIPT_NAME'] == PREFIX
    return response


def _json(application, url):
    response = _get(application, url)
    assert response.status_int == 200, (url, response.body[:300])
    return orjson.loads(response.body)


class _Assets(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ('src', 'href') and not value.startswith('#'):
                self.urls.append(value)


def test_links_and_next_stay_under_the_prefix(noauth):
    client, _dataset = noauth
    application = client.application
    root = _json(application, BASE + '/')
    hrefs = [link['href'] for version in root['versions']
             for link in version['links']]
    assert hrefs == [BASE + '/v1/']
    v1 = _json(application, hrefs[0])
    assert {link['href'] for link in v1['links']} == {
        BASE + '/v1/', BASE + '/v1/openapi.json'}
    for resource in v1['resources'].values():
        assert resource['href'].startswith(BASE + '/v1/')
    # Paging: every next link is under the prefix and leads on.
    url = v1['resources']['notifications']['href'] + '?limit=2'
    pages = 0
    while url is not None and pages < 4:
        page = _json(application, url)
        assert page['notifications']
        url = page['next']
        pages += 1
    assert pages >= 2


def test_openapi_servers_is_the_prefixed_root(noauth):
    client, _dataset = noauth
    document = _json(client.application, BASE + '/v1/openapi.json')
    assert document['servers'] == [{'url': BASE}]
    # The paths are relative to that server: they reach the application.
    server = document['servers'][0]['url']
    assert '/healthcheck' in document['paths']
    assert _get(client.application,
                server + '/healthcheck').status_int == 200
    assert _get(client.application,
                server + '/v1/notifications').status_int == 200


def test_ui_redirect_and_assets_under_the_prefix(noauth):
    client, _dataset = noauth
    application = client.application
    redirect = _get(application, BASE + '/ui')
    assert redirect.status_int == 301
    assert urllib.parse.urljoin(BASE + '/ui', redirect.headers[
        'Location']) == BASE + '/ui/'
    page = _get(application, BASE + '/ui/')
    assert page.status_int == 200
    parser = _Assets()
    parser.feed(page.body.decode('utf-8'))
    assert parser.urls
    for asset in parser.urls:
        # Resolved against the page's URL, as a browser does.
        url = urllib.parse.urljoin(BASE + '/ui/', asset)
        assert url.startswith(BASE + '/ui/'), asset
        assert _get(application, url).status_int == 200, asset
    settings = _get(application, BASE + '/ui/settings.json')
    assert settings.status_int == 200
