"""The stacktach-ng v1 REST API as Python methods.

With Keystone::

    from keystoneauth1 import loading, session
    from stacktach_ng.client.v1 import Client

    auth = loading.get_plugin_loader('password').load_from_options(
        auth_url='http://keystone:5000/v3', username='demo',
        password='...', project_name='demo', user_domain_id='default',
        project_domain_id='default')
    client = Client(session=session.Session(auth=auth))
    for item in client.notifications(event_type='compute.instance.*',
                                     limit=20):
        print(item['event_type'])

Against an API running with ``[api] auth_strategy = noauth``::

    client = Client(endpoint='http://127.0.0.1:8799')

Lists are generators that follow the API's ``next`` links page after
page; ``limit`` bounds the number of items yielded (None: all of them),
``marker`` starts after the item with that id. Everything else returns
the parsed JSON body. Errors raise ``stacktach_ng.client.exceptions``.
"""

import urllib.parse

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import session as ksa_session
from keystoneauth1 import token_endpoint

from stacktach_ng.client import exceptions

SERVICE_TYPE = 'stacktach'
API_VERSION = 'v1'
#: Largest page asked of the API when following pages; the API clamps it
#: to its own ``[api] max_limit`` anyway.
PAGE_SIZE = 1000

# The grouped lists: field -> path and key of the list.
_COUNTED = {'event_type': 'event_types', 'host': 'hosts',
            'service': 'services'}


def _clean(params):
    """Query parameters without the unset (None) ones; booleans as the
    API spells them."""
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        out[key] = value
    return out


# The API's answer to a path it does not serve (its router's 404), as
# opposed to the 404 of an item that does not exist ("No resource has
# id ...").
_NO_SUCH_PATH = 'The resource could not be found.'


def _names_an_item(body):
    """Whether a 404 body is the API's answer about a missing item."""
    message = exceptions.message_of(body)
    return bool(message) and message != _NO_SUCH_PATH


def _connection_problem(error):
    """A short reason for a connection failure: keystoneauth's message
    carries urllib3's whole retry story after the URL."""
    text = str(error)
    for reason in ('Connection refused', 'Name or service not known',
                   'timed out', 'Connection reset', 'No route to host'):
        if reason.lower() in text.lower():
            url = text.split(': ', 1)[0]
            return '%s (%s)' % (url, reason.lower())
    return text.split(' (Caused by')[0][:300]


def api_root(url):
    """The API root of a base URL given with or without the version:
    ``http://host:8799/v1/`` and ``http://host:8799`` are both the root
    ``http://host:8799`` (many catalogs register the versioned URL)."""
    url = url.rstrip('/')
    suffix = '/' + API_VERSION
    return url[:-len(suffix)] if url.endswith(suffix) else url


def _quote(identifier):
    return urllib.parse.quote(str(identifier), safe='')


class Client:
    """A client of the stacktach-ng v1 API.

    :param session: a keystoneauth1 ``Session``; the endpoint is looked up
        in its catalog by ``service_type``, ``interface`` and
        ``region_name`` unless ``endpoint`` is given.
    :param endpoint: the API's root URL (``http://host:8799``), overriding
        the catalog; enough on its own for an API without Keystone.
    :param token: a Keystone token to send with a plain ``endpoint``
        (no session).
    :param service_type: / :param interface: / :param region_name: catalog
        lookup.
    :param timeout: seconds to wait for an answer (None: no limit).
    :param verify: TLS verification (bool or a CA bundle path).
    """

    def __init__(self, session=None, endpoint=None, token=None,
                 service_type=SERVICE_TYPE, interface='public',
                 region_name=None, timeout=None, verify=True,
                 user_agent='python-stacktach-ng-client'):
        endpoint = api_root(endpoint) if endpoint else None
        if session is None:
            if not endpoint:
                raise exceptions.EndpointNotFound(
                    'an endpoint is needed when no keystoneauth session '
                    'is given')
            # Without a token no auth plugin at all: keystoneauth's noauth
            # plugin would send a dummy X-Auth-Token.
            auth = token_endpoint.Token(endpoint, token) if token else None
            session = ksa_session.Session(auth=auth, verify=verify,
                                          timeout=timeout)
        # The version is part of every path rather than of the endpoint:
        # the catalog entry of service type ``stacktach`` is the API root
        # (``GET /`` lists the versions); a catalog entry ending in /v1 is
        # cut back to the root on first use (``_resolve_root``).
        self._root_known = endpoint is not None
        self.adapter = adapter.Adapter(
            session, service_type=service_type, interface=interface,
            region_name=region_name, endpoint_override=endpoint,
            user_agent=user_agent)

    # -- plumbing -------------------------------------------------------

    def get(self, path, params=None):
        """GET ``path`` (relative to the API root) and return the parsed
        JSON body; raise a ``ClientError`` for an error answer."""
        try:
            self._resolve_root()
            response = self.adapter.get(
                path, params=_clean(params or {}), raise_exc=False,
                headers={'Accept': 'application/json'})
        except ksa_exc.EndpointNotFound as e:
            raise exceptions.EndpointNotFound(
                'no %s endpoint in the service catalog for interface %s '
                'and region %s; give the API URL instead (OS_STACKTACH_URL '
                'or --os-stacktach-url for the openstack command)'
                % (self.adapter.service_type, self.adapter.interface,
                   self.adapter.region_name or 'any')) from e
        except (ksa_exc.ConnectionError, ksa_exc.ConnectTimeout) as e:
            raise exceptions.ConnectionFailed(
                'cannot reach the stacktach-ng API: %s'
                % _connection_problem(e)) from e
        except ksa_exc.ClientException as e:
            raise exceptions.ClientError(str(e)) from e
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 404 and not _names_an_item(body):
            raise exceptions.NotFound(
                'the API has no %s: tried GET %s. Is %s the root of the '
                'stacktach-ng API (GET / lists its versions)? Set '
                'OS_STACKTACH_URL (or the catalog endpoint) to it, with or '
                'without /%s' % (path, response.url,
                                 self.adapter.endpoint_override,
                                 API_VERSION), 404)
        if response.status_code >= 400:
            raise exceptions.from_response(
                response.status_code, body,
                '%s %s' % (response.status_code, response.reason))
        if body is None:
            raise exceptions.ClientError(
                'the API answered %s with a body that is not JSON' % path,
                response.status_code)
        return body

    def _resolve_root(self):
        """Use the catalog's endpoint cut back to the API root."""
        if self._root_known:
            return
        self.adapter.endpoint_override = api_root(
            self.adapter.get_endpoint())
        self._root_known = True

    def pages(self, path, params=None):
        """Every page of a list, following the ``next`` links: yields
        the parsed bodies."""
        params = _clean(params or {})
        while True:
            body = self.get(path, params)
            yield body
            following = self._next_params(body, params)
            if following is None:
                return
            params = following

    @staticmethod
    def _next_params(body, params):
        """The query parameters of the next page, or None on the last.

        The ``next`` link's query is reused on the same path rather than
        the link itself, so that a link built from the API's own view of
        its address (behind a proxy) still works from the client.
        """
        link = body.get('next')
        if link:
            query = urllib.parse.urlsplit(link).query
            return dict(urllib.parse.parse_qsl(query,
                                               keep_blank_values=True))
        marker = body.get('next_marker')
        if marker:
            return dict(params, marker=marker)
        return None

    def collection(self, path, key, params=None, limit=None):
        """The items of a paged list, ``limit`` of them at most (None:
        all), from the ``key`` member of each page."""
        params = dict(params or {})
        if limit is not None and limit <= 0:
            return
        params['limit'] = min(limit, PAGE_SIZE) if limit else PAGE_SIZE
        remaining = limit
        for body in self.pages(path, params):
            items = body.get(key)
            if items is None:
                items = body.get('items', [])
            for item in items:
                yield item
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        return
            if not items:
                return

    # -- discovery ------------------------------------------------------

    def versions(self):
        """``GET /``: the API versions."""
        return self.get('/')

    # -- notifications --------------------------------------------------

    def notifications(self, limit=None, marker=None, **filters):
        """Stored notifications, newest first (unless ``sort`` says
        otherwise).

        :param filters: the API's filters: ``event_type`` (a glob such
            as ``compute.instance.*``), ``request_id``,
            ``global_request_id``, ``resource_id``, ``resource_type``,
            ``service``, ``host``, ``priority``, ``project_id``,
            ``user_id``, ``since``/``until`` (ISO 8601 UTC),
            ``all_projects``, ``sort``...; None values are left out.
        """
        return self.collection('/v1/notifications', 'notifications',
                               dict(filters, marker=marker), limit)

    def notification(self, message_id):
        """One notification with its payload and context."""
        return self.get('/v1/notifications/%s' % _quote(message_id))

    def counts(self, field, limit=None, marker=None, **filters):
        """The distinct values of ``field`` (``event_type``, ``host`` or
        ``service``) with ``count``, ``first_seen`` and ``last_seen``,
        in the order of the values."""
        if field not in _COUNTED:
            raise ValueError('field must be one of %s'
                             % ', '.join(sorted(_COUNTED)))
        key = _COUNTED[field]
        return self.collection('/v1/%s' % key, key,
                               dict(filters, marker=marker), limit)

    # -- requests (traces) ----------------------------------------------

    def requests(self, limit=None, marker=None, **filters):
        """Recent requests with their duration and outcome."""
        return self.collection('/v1/requests', 'requests',
                               dict(filters, marker=marker), limit)

    def request(self, request_id, **params):
        """The trace of a request: its tree of spans."""
        return self.get('/v1/requests/%s' % _quote(request_id), params)

    # -- resources (lifecycles) -----------------------------------------

    def resource(self, resource_id, **params):
        """The lifecycle of a resource: state transitions, operations,
        faults."""
        return self.get('/v1/resources/%s' % _quote(resource_id), params)

    def resources(self, limit=None, marker=None, **filters):
        """Resources; ``stuck=True`` with ``older_than`` (seconds) lists
        those whose task state has not moved while an operation is
        open."""
        return self.collection('/v1/resources', 'resources',
                               dict(filters, marker=marker), limit)

    def stuck_resources(self, older_than=None, limit=None, **filters):
        """Shortcut for ``resources(stuck=True, older_than=...)``."""
        return self.resources(limit=limit, stuck=True,
                              older_than=older_than, **filters)

    # -- timings --------------------------------------------------------

    def timings(self, limit=None, marker=None, **filters):
        """Operations (a ``.start`` paired with its ``.end``/``.error``)
        with their duration and outcome; open ones included."""
        return self.collection('/v1/timings', 'timings',
                               dict(filters, marker=marker), limit)

    def timing_summary(self, **filters):
        """Statistics per operation (and host or time bucket): count,
        errors, min, p50, p95, p99, max."""
        return self.get('/v1/timings/summary', filters)

    # -- errors ---------------------------------------------------------

    def errors(self, limit=None, marker=None, **filters):
        """Errors grouped by fingerprint."""
        return self.collection('/v1/errors', 'errors',
                               dict(filters, marker=marker), limit)

    def error(self, fingerprint, **params):
        """One error group with its samples."""
        return self.get('/v1/errors/%s' % _quote(fingerprint), params)

    # -- usage and verification -----------------------------------------

    def usage(self, kind, limit=None, marker=None, **filters):
        """Usage records of one ``kind``: ``launches``, ``deletes`` or
        ``exists``."""
        if kind not in ('launches', 'deletes', 'exists'):
            raise ValueError('kind must be launches, deletes or exists')
        return self.collection('/v1/usage/%s' % kind, kind,
                               dict(filters, marker=marker), limit)

    def usage_report(self, start=None, end=None, project_id=None,
                     **params):
        """Usage per project over ``[start, end)`` (ISO 8601 UTC)."""
        return self.get('/v1/usage/report',
                        dict(params, start=start, end=end,
                             project_id=project_id))

    def verifications(self, limit=None, marker=None, **filters):
        """Verification results of the ``.exists`` audit records."""
        return self.collection('/v1/verifications', 'verifications',
                               dict(filters, marker=marker), limit)

    # -- summary --------------------------------------------------------

    def summary(self, **filters):
        """Counts per event type, service, host and time bucket, error
        rates and request latency."""
        return self.get('/v1/summary', filters)
