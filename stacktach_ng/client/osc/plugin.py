"""OpenStackClient plugin for stacktach-ng (``openstack stacktach ...``).

The client is a ``stacktach_ng.client.v1.Client`` on the session of OSC's
client manager: a keystoneauth Adapter that finds the endpoint in the
catalog by service type ``stacktach``, honouring ``--os-interface`` and
``--os-region-name``.

Without Keystone (an API running with ``auth_strategy = noauth``, such as
``stacktach-ng-all``), give the API's address instead::

    OS_AUTH_TYPE=none OS_STACKTACH_URL=http://127.0.0.1:8799 \\
        openstack stacktach notification list

``--os-stacktach-url`` (``OS_STACKTACH_URL``) overrides the catalog with
any auth type; with ``--os-auth-type none``, keystoneauth's own
``--os-endpoint`` works too, and so does OSC's generic
``OS_STACKTACH_ENDPOINT_OVERRIDE``.
"""

import logging

from osc_lib import utils

from stacktach_ng.client.v1 import client as v1_client

LOG = logging.getLogger(__name__)

API_NAME = 'stacktach'
API_VERSION_OPTION = 'os_stacktach_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {'1': 'stacktach_ng.client.v1.client.Client'}


def _endpoint_override(instance):
    """The endpoint given on the command line or in the environment, or
    None to use the catalog."""
    config = getattr(instance._cli_options, 'config', None) or {}
    # openstacksdk's config loader strips the ``os_`` prefix of the
    # argparse destinations it is given.
    url = config.get('stacktach_url') or config.get('os_stacktach_url')
    if url:
        return url
    # ``stacktach_endpoint_override`` (clouds.yaml or
    # OS_STACKTACH_ENDPOINT_OVERRIDE) is OSC's generic override.
    return instance._override_for(API_NAME) if hasattr(
        instance, '_override_for') else None


def make_client(instance):
    """The v1 client for OSC's client manager ``instance``."""
    version = instance._api_version.get(API_NAME, DEFAULT_API_VERSION)
    if str(version) not in API_VERSIONS:
        raise ValueError('unsupported stacktach API version %s (supported: '
                         '%s)' % (version, ', '.join(API_VERSIONS)))
    endpoint = _endpoint_override(instance)
    LOG.debug('stacktach client: endpoint %s, interface %s, region %s',
              endpoint or '(catalog)', instance.interface,
              instance.region_name)
    return v1_client.Client(
        session=instance.session,
        endpoint=endpoint,
        service_type=API_NAME,
        interface=instance.interface or 'public',
        region_name=instance.region_name)


def build_option_parser(parser):
    """Add the plugin's global options to ``openstack``'s parser."""
    parser.add_argument(
        '--os-stacktach-api-version',
        metavar='<stacktach-api-version>',
        default=utils.env('OS_STACKTACH_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='stacktach-ng API version (default: %s; env: '
             'OS_STACKTACH_API_VERSION)' % DEFAULT_API_VERSION)
    parser.add_argument(
        '--os-stacktach-url',
        metavar='<url>',
        default=utils.env('OS_STACKTACH_URL'),
        help='stacktach-ng API root URL, overriding the service catalog; '
             'with --os-auth-type none it is all that is needed to reach '
             'an API running without Keystone (env: OS_STACKTACH_URL)')
    return parser
