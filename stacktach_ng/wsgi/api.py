"""The API as a WSGI application: ``stacktach_ng.wsgi.api:application``.

For uwsgi (``--module stacktach_ng.wsgi.api:application``) or gunicorn
(``gunicorn stacktach_ng.wsgi.api:application``). The configuration comes
from the usual search path (``/etc/stacktach-ng/stacktach-ng.conf``), or
from the comma-separated files named by ``STACKTACH_NG_CONFIG_FILES``.
"""

# Importing the package first selects oslo.service's threading backend.
import stacktach_ng  # noqa: F401
from stacktach_ng.api import app

application = app.build_wsgi_app()
