"""The WSGI application of the REST API, middleware wired in code.

From the outside in::

    HTTPProxyToWSGI     scheme/host/prefix from a TLS-terminating proxy
    RequestId           x-openstack-request-id on every response
    CORS                [cors] allowed origins (the web UI on another host)
    /healthcheck        oslo.middleware healthcheck app, no authentication
    /ui/                the web UI's static files (``stacktach_ng.ui``), no
                        authentication: they hold no data
    JsonErrors          any other error response becomes JSON
    /v1/auth/tokens     the UI's log in with a password (keystone only,
                        ``stacktach_ng.api.login``), before auth_token
    auth_token          keystonemiddleware ([api] auth_strategy = keystone),
                        skipped for the public routes
    JsonOnly            a clear 406 for an Accept header refusing JSON
    Pecan               hooks (config, database, context, JSON errors) and
                        the controllers

There is no paste pipeline to edit: the options of each piece are in the
configuration file (``[keystone_authtoken]``, ``[cors]``,
``[oslo_middleware]``, ``[healthcheck]``, ``[oslo_policy]``).
"""

import os

import pecan
from keystonemiddleware import auth_token
from oslo_middleware import cors
from oslo_middleware import healthcheck
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id

from stacktach_ng import service
from stacktach_ng.api import errors
from stacktach_ng.api import hooks
from stacktach_ng.api import login
from stacktach_ng.api import negotiation
from stacktach_ng.api import policy
from stacktach_ng.api import render
from stacktach_ng.api.controllers import root
from stacktach_ng.db import api as db_api
from stacktach_ng.ui import static

# Paths answered without a token: the versions document and the API
# description carry no data.
PUBLIC_ROUTES = frozenset(['/', '/v1', '/v1/', '/v1/openapi.json'])

HEALTHCHECK_PATH = '/healthcheck'

# Environment variable naming the configuration files of the WSGI
# application (comma separated), for servers whose command line is their
# own; by default the usual search path is used
# (/etc/stacktach-ng/stacktach-ng.conf ...).
CONFIG_FILES_ENV = 'STACKTACH_NG_CONFIG_FILES'


def set_cors_defaults():
    """Headers a browser client needs: the token goes in, the request id
    and paging headers come out."""
    cors.set_defaults(
        allow_headers=['X-Auth-Token', 'X-OpenStack-Request-ID',
                       'Content-Type', 'X-Project-Id'],
        expose_headers=['X-OpenStack-Request-ID', 'X-Subject-Token'],
        allow_methods=['GET', 'HEAD', 'OPTIONS'])


def setup_pecan(conf, database, enforcer):
    """The Pecan application alone (no middleware)."""
    return pecan.make_app(
        root.RootController(),
        hooks=[hooks.ConfigHook(conf), hooks.DBHook(database),
               hooks.ContextHook(conf.api.auth_strategy, enforcer),
               hooks.JsonErrorHook()],
        custom_renderers={'json': render.JsonRenderer},
        # /v1/openapi.json is a path, not a request for the JSON variant
        # of /v1/openapi; and no redirects for a missing trailing slash.
        guess_content_type_from_ext=False,
        force_canonical=False,
        debug=False)


class PublicRoutes:
    """Send the public routes around authentication."""

    def __init__(self, public_app, protected_app):
        self.public_app = public_app
        self.protected_app = protected_app

    def __call__(self, environ, start_response):
        if (environ.get('PATH_INFO') or '/') in PUBLIC_ROUTES:
            return self.public_app(environ, start_response)
        return self.protected_app(environ, start_response)


class Mount:
    """Serve ``path`` with ``app`` and everything else with ``default``."""

    def __init__(self, path, app, default):
        self.path = path
        self.app = app
        self.default = default

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '').rstrip('/') == self.path:
            return self.app(environ, start_response)
        return self.default(environ, start_response)


def _not_found(environ, start_response):
    return errors.response(404, 'The resource could not be found.')(
        environ, start_response)


def setup_app(conf, database=None):
    """The whole WSGI application for a parsed configuration.

    :param database: a ``Database`` to share (a new one by default).
    """
    database = database or db_api.Database(conf)
    enforcer = policy.Enforcer(conf)
    app = negotiation.JsonOnly(setup_pecan(conf, database, enforcer))
    if conf.api.auth_strategy == 'keystone':
        protected = auth_token.AuthProtocol(
            app, {'oslo_config_config': conf})
        app = PublicRoutes(app, protected)
        app = Mount(login.PATH, login.TokenRequest(conf), app)
    app = errors.JsonErrors(app)
    app = static.Mount(app, conf)
    # oslo.middleware 8 mounts the healthcheck as an application; the
    # 404 app behind it answers what it declines (allowed_source_ranges).
    app = Mount(HEALTHCHECK_PATH, healthcheck.Healthcheck(_not_found, conf),
                app)
    set_cors_defaults()
    app = cors.CORS(app, conf)
    app = request_id.RequestId(app)
    app = http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
    return app


def config_files_from_environ():
    value = os.environ.get(CONFIG_FILES_ENV, '')
    files = [name.strip() for name in value.split(',') if name.strip()]
    return files or None


def build_wsgi_app(argv=None):
    """Parse the configuration and build the application (for uwsgi and
    gunicorn, see ``stacktach_ng.wsgi.api``)."""
    conf = service.prepare_service(
        argv if argv is not None else ['stacktach-ng-api'],
        config_files=config_files_from_environ())
    return setup_app(conf)
