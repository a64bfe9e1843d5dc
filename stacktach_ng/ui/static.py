"""A small WSGI application serving the UI's static files.

Only files with a known web extension are served (the Python modules that
sit next to them never are), from inside the UI directory only: a path
with an empty, ``.`` or ``..`` segment, a hidden segment, a backslash or
a NUL byte is refused before it touches the file system, and the resolved
path must still be inside the directory (no symbolic link out of it).

Every response is ``Cache-Control: no-cache`` with an ``ETag``: module
URLs carry no version, so a browser revalidates each file and gets a
cheap ``304`` while it is unchanged, and never runs a stale module after
an upgrade.
"""

import email.utils
import json
import os

from stacktach_ng import ui

# What the UI asks the server before anything else (no token needed): how
# to authenticate, so that it shows the log in form instead of a failing
# request.
SETTINGS_FILE = 'settings.json'

CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.ico': 'image/x-icon',
    '.txt': 'text/plain; charset=utf-8',
}

# The page may only load its own scripts, styles and data: an injected
# value can never run as code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

_COMMON_HEADERS = [('X-Content-Type-Options', 'nosniff'),
                   ('Cache-Control', 'no-cache')]


def _plain(start_response, status, text, headers=()):
    body = text.encode()
    start_response(status, [('Content-Type', 'text/plain; charset=utf-8'),
                            ('Content-Length', str(len(body)))]
                   + list(headers) + _COMMON_HEADERS)
    return [body]


def safe_relative_path(path):
    """The segments of a request path relative to the UI root, or None
    when the path is not a plain path down the tree."""
    if not path:
        return ['index.html']
    if '\\' in path or '\x00' in path:
        return None
    segments = path.split('/')
    if segments[-1] == '':
        segments[-1] = 'index.html'
    for segment in segments:
        if segment in ('', '.', '..') or segment.startswith('.'):
            return None
    return segments


def settings(conf):
    """The UI settings of a configuration: ``{"auth_strategy"}``."""
    return {'auth_strategy': conf.api.auth_strategy}


class StaticFiles:
    """Serve ``directory`` under ``prefix`` (GET and HEAD), and the
    ``settings`` dict as ``<prefix>/settings.json``."""

    def __init__(self, directory=None, prefix=ui.PREFIX, settings=None):
        self.directory = os.path.realpath(directory or ui.static_dir())
        self.prefix = prefix
        self.settings = json.dumps(settings or {}).encode()

    def resolve(self, path_info):
        """The file a request path names, or None."""
        segments = safe_relative_path(path_info[len(self.prefix) + 1:])
        if segments is None:
            return None
        if os.path.splitext(segments[-1])[1] not in CONTENT_TYPES:
            return None
        candidate = os.path.realpath(os.path.join(self.directory,
                                                  *segments))
        if os.path.commonpath([candidate, self.directory]) != \
                self.directory:
            return None
        return candidate if os.path.isfile(candidate) else None

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        method = environ.get('REQUEST_METHOD', 'GET')
        if path == self.prefix:
            location = '%s%s/' % (environ.get('SCRIPT_NAME', ''),
                                  self.prefix)
            if environ.get('QUERY_STRING'):
                location += '?' + environ['QUERY_STRING']
            return _plain(start_response, '301 Moved Permanently',
                          'Moved to %s\n' % location,
                          [('Location', location)])
        if method not in ('GET', 'HEAD'):
            return _plain(start_response, '405 Method Not Allowed',
                          'Only GET and HEAD are allowed here.\n',
                          [('Allow', 'GET, HEAD')])
        if path == '%s/%s' % (self.prefix, SETTINGS_FILE):
            start_response('200 OK', [
                ('Content-Type', 'application/json'),
                ('Content-Length', str(len(self.settings)))]
                + _COMMON_HEADERS)
            return [b''] if method == 'HEAD' else [self.settings]
        filename = self.resolve(path)
        if filename is None:
            return _plain(start_response, '404 Not Found',
                          'No such file in the web UI.\n')
        stat = os.stat(filename)
        etag = '"%x-%x"' % (stat.st_mtime_ns, stat.st_size)
        headers = [
            ('ETag', etag),
            ('Last-Modified', email.utils.formatdate(stat.st_mtime,
                                                     usegmt=True)),
        ] + _COMMON_HEADERS
        extension = os.path.splitext(filename)[1]
        if extension == '.html':
            headers += [('Content-Security-Policy', CONTENT_SECURITY_POLICY),
                        ('Referrer-Policy', 'no-referrer')]
        if etag in environ.get('HTTP_IF_NONE_MATCH', ''):
            start_response('304 Not Modified', headers)
            return [b'']
        with open(filename, 'rb') as f:
            body = f.read()
        start_response('200 OK', [
            ('Content-Type', CONTENT_TYPES[extension]),
            ('Content-Length', str(len(body)))] + headers)
        return [b''] if method == 'HEAD' else [body]


class Mount:
    """Serve the UI's paths with ``ui_app`` and every other path with
    ``app`` (the API). The UI's files need no token: they hold no data."""

    def __init__(self, app, conf=None, ui_app=None, prefix=ui.PREFIX):
        self.app = app
        self.ui_app = ui_app or StaticFiles(
            prefix=prefix,
            settings=settings(conf) if conf is not None else None)
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        if path == self.prefix or path.startswith(self.prefix + '/'):
            return self.ui_app(environ, start_response)
        return self.app(environ, start_response)
