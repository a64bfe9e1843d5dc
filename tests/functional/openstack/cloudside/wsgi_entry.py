"""The WSGI application named by ``STACKTACH_TEST_WSGI_APP``.

``STACKTACH_TEST_WSGI_APP=keystone.wsgi.api:application`` and gunicorn's
target ``wsgi_entry:application`` serve keystone's application. Some
services parse ``sys.argv`` with oslo.config when their WSGI module is
imported: gunicorn's command line is hidden from them.
"""

import importlib
import os
import sys

_module, _attribute = os.environ['STACKTACH_TEST_WSGI_APP'].split(':')
sys.argv = sys.argv[:1]
application = getattr(importlib.import_module(_module), _attribute)
