"""``POST /v1/auth/tokens``: log in to the web UI with a user name and
password (``[api] auth_strategy = keystone`` only).

A browser cannot always reach Keystone itself (another origin, no CORS,
an internal endpoint), so the API asks Keystone for a project-scoped token
on the user's behalf and hands it back; it keeps nothing. The UI keeps
the token in the browser's session storage and sends it as
``X-Auth-Token`` like any other client.

Request body (JSON)::

    {"username": "alice", "password": "...",
     "project_name": "demo",          (or "project_id")
     "user_domain_name": "Default",   (optional, "Default")
     "project_domain_name": "Default" (optional, "Default")}

Response ``201``::

    {"token": {"id": "gAAAA...", "expires_at": "2026-...Z",
               "user": {"id", "name"}, "project": {"id", "name"},
               "roles": ["member", ...]}}

Errors use the API's JSON error shape: 400 (a missing or malformed
field), 401 (Keystone refused the credentials), 502/503 (Keystone failed
or could not be reached).
"""


import orjson
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from oslo_config import cfg
from oslo_log import log as logging

from stacktach_ng.api import errors

LOG = logging.getLogger(__name__)

PATH = '/v1/auth/tokens'

# A login body is a few short strings.
MAX_BODY = 16 * 1024
FIELDS = ('username', 'password', 'project_name', 'project_id',
          'user_domain_name', 'project_domain_name')
KEYSTONE_TIMEOUT = 30


def keystone_url(conf):
    """The Keystone the API validates tokens with: ``[keystone_authtoken]
    www_authenticate_uri``, else its ``auth_url``."""
    try:
        group = conf.keystone_authtoken
    except cfg.NoSuchOptError:
        return None
    for name in ('www_authenticate_uri', 'auth_url'):
        try:
            value = group[name]
        except cfg.NoSuchOptError:
            continue
        if value:
            return value
    return None


def _error(start_response, code, message, parameter=None):
    body = errors.body(code, message, parameter)
    start_response('%d %s' % (code, errors.title(code)), [
        ('Content-Type', errors.JSON_TYPE),
        ('Content-Length', str(len(body))),
        ('Cache-Control', 'no-store')])
    return [body]


def parse_credentials(raw):
    """The login fields of a request body, or raise ``ValueError`` with a
    message and the field at fault."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValueError('the body must be a JSON object', None) from None
    if not isinstance(document, dict):
        raise ValueError('the body must be a JSON object', None)
    credentials = {}
    for name in FIELDS:
        value = document.get(name)
        if value is None or value == '':
            continue
        if not isinstance(value, str) or len(value) > 255:
            raise ValueError('%s: must be a string of at most 255 '
                             'characters' % name, name)
        credentials[name] = value
    for name in ('username', 'password'):
        if name not in credentials:
            raise ValueError('%s: is required' % name, name)
    if 'project_name' not in credentials and \
            'project_id' not in credentials:
        raise ValueError('project_name: a project name or project_id is '
                         'required', 'project_name')
    return credentials


def request_token(auth_url, credentials, session_factory=None):
    """Ask Keystone for a project-scoped token.

    :returns: the ``token`` document of the response.
    :raises keystoneauth1.exceptions.ClientException: Keystone refused or
        failed.
    """
    plugin = v3.Password(
        auth_url=auth_url,
        username=credentials['username'],
        password=credentials['password'],
        user_domain_name=credentials.get('user_domain_name', 'Default'),
        project_id=credentials.get('project_id'),
        project_name=(None if 'project_id' in credentials
                      else credentials.get('project_name')),
        project_domain_name=(
            None if 'project_id' in credentials
            else credentials.get('project_domain_name', 'Default')))
    session = (session_factory or ks_session.Session)(
        auth=plugin, timeout=KEYSTONE_TIMEOUT)
    access = plugin.get_access(session)
    expires = access.expires
    return {
        'id': access.auth_token,
        'expires_at': (expires.strftime('%Y-%m-%dT%H:%M:%SZ')
                       if expires is not None else None),
        'user': {'id': access.user_id, 'name': access.username},
        'project': {'id': access.project_id, 'name': access.project_name},
        'roles': sorted(access.role_names or []),
    }


class TokenRequest:
    """The WSGI application of ``POST /v1/auth/tokens``."""

    def __init__(self, conf):
        self.conf = conf

    def __call__(self, environ, start_response):
        if environ.get('REQUEST_METHOD') != 'POST':
            return _error(start_response, 405,
                          'Only POST is allowed on %s.' % PATH)
        auth_url = keystone_url(self.conf)
        if not auth_url:
            return _error(start_response, 503,
                          'Log in with a user name is not configured: set '
                          '[keystone_authtoken] www_authenticate_uri.')
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return _error(start_response, 400,
                          'The body must be a JSON object of at most %d '
                          'bytes.' % MAX_BODY)
        raw = environ['wsgi.input'].read(length) if length else b''
        try:
            credentials = parse_credentials(raw)
        except ValueError as error:
            message, parameter = error.args
            return _error(start_response, 400, message, parameter)
        try:
            token = request_token(auth_url, credentials)
        except ks_exceptions.Unauthorized:
            return _error(start_response, 401,
                          'Keystone refused these credentials: check the '
                          'user name, password and project.')
        except (ks_exceptions.ConnectFailure,
                ks_exceptions.ConnectTimeout,
                ks_exceptions.DiscoveryFailure) as error:
            LOG.warning('Cannot reach Keystone at %s: %s', auth_url, error)
            return _error(start_response, 503,
                          'Keystone could not be reached; try again '
                          'later.')
        except ks_exceptions.ClientException as error:
            LOG.warning('Keystone refused a UI login: %s', error)
            return _error(start_response, 502,
                          'Keystone could not issue a token: %s'
                          % str(error)[:300])
        body = orjson.dumps({'token': token})
        start_response('201 Created', [
            ('Content-Type', errors.JSON_TYPE),
            ('Content-Length', str(len(body))),
            ('Cache-Control', 'no-store')])
        return [body]
