"""A small in-process client of a WSGI application, for the API tests."""

import urllib.parse

import orjson
import webob


class Response:
    def __init__(self, response):
        self.status = response.status_int
        self.headers = response.headers
        self.body = response.body
        self.content_type = response.content_type

    @property
    def json(self):
        return orjson.loads(self.body)

    def __repr__(self):
        return '<Response %d %r>' % (self.status, self.body[:300])


class Client:
    def __init__(self, application, headers=None):
        self.application = application
        self.headers = dict(headers or {})

    def get(self, path, params=None, headers=None):
        if params:
            path += '?' + urllib.parse.urlencode(params)
        request = webob.Request.blank(path)
        for name, value in {**self.headers, **(headers or {})}.items():
            request.headers[name] = value
        return Response(request.get_response(self.application))

    def get_json(self, path, params=None, status=200):
        response = self.get(path, params)
        assert response.status == status, response
        return response.json

    def follow(self, path, key, params=None):
        """Every item of a paged list, following ``next`` links."""
        items = []
        pages = 0
        body = self.get_json(path, params)
        while True:
            pages += 1
            items.extend(body[key])
            if body['next'] is None:
                return items, pages
            parsed = urllib.parse.urlsplit(body['next'])
            body = self.get_json(parsed.path + '?' + parsed.query)


class Identity:
    """Set the headers that keystonemiddleware sets for a valid token."""

    def __init__(self, application, roles, project_id, system_scope=None):
        self.application = application
        self.roles = roles
        self.project_id = project_id
        self.system_scope = system_scope

    def __call__(self, environ, start_response):
        environ['HTTP_X_ROLES'] = ','.join(self.roles)
        environ['HTTP_X_USER_ID'] = 'user-of-the-test'
        if self.project_id is not None:
            environ['HTTP_X_PROJECT_ID'] = self.project_id
        if self.system_scope is not None:
            environ['HTTP_OPENSTACK_SYSTEM_SCOPE'] = self.system_scope
        return self.application(environ, start_response)
