import io

import pytest

from stacktach_ng import ui
from stacktach_ng.ui import static


def call(app, path, method='GET', **environ):
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured['status'] = status
        captured['headers'] = dict(headers)

    environ.update({'PATH_INFO': path, 'REQUEST_METHOD': method,
                    'SCRIPT_NAME': '', 'wsgi.input': io.BytesIO()})
    body = b''.join(app(environ, start_response))
    return int(captured['status'].split()[0]), captured['headers'], body


@pytest.fixture
def app():
    return static.StaticFiles(settings={'auth_strategy': 'noauth'})


def test_index_with_security_and_cache_headers(app):
    status, headers, body = call(app, '/ui/')
    assert status == 200
    assert headers['Content-Type'] == 'text/html; charset=utf-8'
    assert b'<script type="module" src="app.js">' in body
    assert "script-src 'self'" in headers['Content-Security-Policy']
    assert headers['Cache-Control'] == 'no-cache'
    assert headers['X-Content-Type-Options'] == 'nosniff'
    status, _headers, body = call(app, '/ui/', HTTP_IF_NONE_MATCH=headers[
        'ETag'])
    assert (status, body) == (304, b'')


@pytest.mark.parametrize('path,content_type', [
    ('/ui/app.js', 'text/javascript; charset=utf-8'),
    ('/ui/views/trace.js', 'text/javascript; charset=utf-8'),
    ('/ui/css/app.css', 'text/css; charset=utf-8'),
    ('/ui/icon.svg', 'image/svg+xml'),
])
def test_content_types(app, path, content_type):
    status, headers, body = call(app, path)
    assert status == 200
    assert headers['Content-Type'] == content_type
    assert int(headers['Content-Length']) == len(body) > 0


@pytest.mark.parametrize('path', [
    '/ui/../setup.py', '/ui/views/../../api/app.py', '/ui/./app.js',
    '/ui//app.js', '/ui/__init__.py', '/ui/static.py', '/ui/.hidden.js',
    '/ui/views\\feed.js', '/ui/app.js\x00.css', '/ui/missing.js',
    '/ui/README.rst', '/ui/views/',
])
def test_refused_paths(app, path):
    status, _headers, body = call(app, path)
    assert status == 404
    assert b'No such file' in body


def test_symlink_out_of_the_directory_is_refused(tmp_path):
    (tmp_path / 'ui').mkdir()
    (tmp_path / 'secret.js').write_text('secret')
    (tmp_path / 'ui' / 'link.js').symlink_to(tmp_path / 'secret.js')
    app = static.StaticFiles(directory=str(tmp_path / 'ui'))
    assert call(app, '/ui/link.js')[0] == 404


def test_redirect_head_and_method(app):
    status, headers, _body = call(app, '/ui', QUERY_STRING='a=b')
    assert (status, headers['Location']) == (301, '/ui/?a=b')
    status, headers, body = call(app, '/ui/app.js', method='HEAD')
    assert status == 200 and body == b'' and int(headers['Content-Length'])
    status, headers, _body = call(app, '/ui/app.js', method='POST')
    assert (status, headers['Allow']) == (405, 'GET, HEAD')


def test_settings(app):
    status, headers, body = call(app, '/ui/settings.json')
    assert status == 200
    assert headers['Content-Type'] == 'application/json'
    assert body == b'{"auth_strategy": "noauth"}'


def test_mount_dispatches_the_ui_only():
    def api(environ, start_response):
        start_response('200 OK', [])
        return [b'api']

    mounted = static.Mount(api)
    assert call(mounted, '/ui/app.js')[0] == 200
    assert call(mounted, '/uix')[2] == b'api'
    assert call(mounted, '/v1/notifications')[2] == b'api'
    assert ui.static_dir().endswith('ui')
