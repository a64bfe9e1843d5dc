"""The API as a WSGI application: ``stacktach_ng.wsgi.api:application``.

For uwsgi (``--module stacktach_ng.wsgi.api:application``) or gunicorn
(``gunicorn stacktach_ng.wsgi.api:application``). The configuration comes
from the usual search path (``/etc/stacktach-ng/stacktach-ng.conf``), or
from the comma-separated files named by ``STACKTACH_NG_CONFIG_FILES``.
"""

# The package's __init__ has selected oslo.service's threading backend.
from stacktach_ng.api import app
from stacktach_ng.common import patches

patches.install_api_speedups()
application = app.build_wsgi_app()
