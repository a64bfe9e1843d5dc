"""A small REST client of the cloud: a Keystone token and JSON requests."""

import requests
from requests import adapters
from urllib3 import util as urllib3_util

# nova's fake driver has no uptime, which microversion 2.88 asks for.
COMPUTE_MICROVERSION = '2.87'


class RestError(RuntimeError):
    pass


class Client:

    def __init__(self, auth_url, username, password, project='admin'):
        self.auth_url = auth_url
        self.username = username
        self.password = password
        self.project = project
        self.http = requests.Session()
        # The scenario polls nova-api every second while a service may be
        # frozen or restarting: a read that loses its connection is asked
        # again; a write never is (it may have been done).
        retry = urllib3_util.Retry(total=3, connect=3, read=3,
                                   status=0, backoff_factor=0.5,
                                   allowed_methods=frozenset(['GET']))
        self.http.mount('http://', adapters.HTTPAdapter(max_retries=retry))
        self._token = None
        self.project_id = None

    def token(self):
        if self._token is None:
            body = {'auth': {
                'identity': {'methods': ['password'], 'password': {'user': {
                    'name': self.username, 'domain': {'id': 'default'},
                    'password': self.password}}},
                'scope': {'project': {'name': self.project,
                                      'domain': {'id': 'default'}}}}}
            response = self.http.post(self.auth_url + '/auth/tokens',
                                      json=body, timeout=30)
            if response.status_code != 201:
                raise RestError('token: %d %s' % (response.status_code,
                                                  response.text[:300]))
            self._token = response.headers['X-Subject-Token']
            self.project_id = response.json()['token']['project']['id']
        return self._token

    def request(self, method, url, expect=(200, 201, 202, 204), timeout=60,
                headers=None, **kwargs):
        all_headers = {'X-Auth-Token': self.token(),
                       'OpenStack-API-Version':
                           'compute %s' % COMPUTE_MICROVERSION}
        all_headers.update(headers or {})
        response = self.http.request(method, url, headers=all_headers,
                                     timeout=timeout, **kwargs)
        if response.status_code not in expect:
            raise RestError('%s %s: %d %s' % (method, url,
                                              response.status_code,
                                              response.text[:500]))
        return response.json() if response.content else None

    def get(self, url, **kwargs):
        return self.request('GET', url, **kwargs)

    def post(self, url, body, **kwargs):
        return self.request('POST', url, json=body, **kwargs)
