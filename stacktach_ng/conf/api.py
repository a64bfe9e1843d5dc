from oslo_config import cfg

from stacktach_ng.conf import groups

api_group = cfg.OptGroup(
    'api',
    title='REST API options',
    help='Options of the stacktach-ng REST API and web UI.')

ALL_OPTS = [
    cfg.HostAddressOpt(
        'host',
        default='127.0.0.1',
        help="""
Address the development server ``stacktach-ng-api`` listens on. Production
deployments serve ``stacktach_ng.wsgi.api:application`` with uwsgi or
gunicorn instead, and this option is not used there.
"""),
    cfg.PortOpt(
        'port',
        default=8799,
        help="""
Port the development server ``stacktach-ng-api`` listens on. 8799 is the
port registered for the ``stacktach`` service type.
"""),
    cfg.StrOpt(
        'auth_strategy',
        default='keystone',
        choices=[('keystone', 'Validate tokens with keystonemiddleware '
                              '(see [keystone_authtoken])'),
                 ('noauth', 'No authentication: every request is an admin. '
                            'For development and stacktach-ng-all only')],
        help="""
How API requests are authenticated.
"""),
    cfg.IntOpt(
        'max_limit',
        default=1000,
        min=1,
        help="""
Largest page size a client may ask for with ``limit``. Larger values are
clamped to this one; the default page size is 100.
"""),
]


def register_opts(conf):
    groups.register_group_opts(conf, api_group, ALL_OPTS)


def list_opts():
    return {api_group: ALL_OPTS}
