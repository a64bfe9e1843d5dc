"""The web UI: static files served by the API under ``/ui/``.

The UI is plain ES modules, hand-written CSS and SVG: nothing to build,
the files of this package are served as they are (see ``static``). Its
data comes from the REST API (``/v1/...``) with the user's token, which
the API's ``login`` endpoint (``stacktach_ng.api.login``) gives for a user
name and password.
"""

import os

# Where the UI is mounted in the API's URL space.
PREFIX = '/ui'


def static_dir():
    """The directory holding the UI's static files."""
    return os.path.dirname(os.path.abspath(__file__))
