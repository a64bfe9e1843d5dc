"""Fixtures of the web UI tests: a real API process over a database fed
by the simulator, and headless Chromium driven by Playwright.

Chromium is Debian's (``apt-get install chromium chromium-driver``);
Playwright's own browser download is not used. Without Chromium or
Playwright the tests skip, and fail under ``CI=true``.

Every test checks that the browser console showed no error, and saves a
screenshot of each view it visits into ``artifacts/ui/``. With
``STACKTACH_UI_DOC_IMAGES`` naming a directory (``tox -e ui-screenshots``
sets it to ``doc/source/user/images``), the screenshots the user guide
shows are written there too, replacing the old ones.
"""

import datetime
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner as pipeline
from stacktach_ng.simulator import engine
from tests import base
from tests.fixtures import processes
from tests.functional import services

ARTIFACTS = pathlib.Path(__file__).resolve().parents[3] / 'artifacts' / 'ui'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
                 '--disable-background-networking',
                 '--disable-component-update']
VIEWPORT = {'width': 1366, 'height': 768}
# The screenshots the user guide shows (doc/source/user/ui.rst), and the
# variable naming where to regenerate them.
DOC_IMAGES_ENV = 'STACKTACH_UI_DOC_IMAGES'
DOC_IMAGES = frozenset([
    'error', 'errors', 'feed-expanded', 'feed', 'login', 'overview',
    'resource-failed', 'resource-stuck', 'resources', 'search',
    'timings-operation', 'trace-failed', 'trace',
    'timings-operation-narrow', 'trace-narrow', 'resource-stuck-narrow'])
# Messages imported before the browser opens: about an hour of a small
# cloud, with failures and stuck operations to show.
INITIAL_MESSAGES = 2500


def chromium_path():
    for candidate in (os.environ.get('STACKTACH_TEST_CHROMIUM'),
                      shutil.which('chromium'), '/usr/bin/chromium'):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope='session')
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        services.unavailable('Playwright', str(error))
    executable = chromium_path()
    if executable is None:
        services.unavailable('Chromium', 'no chromium executable (install '
                             'the Debian packages chromium and '
                             'chromium-driver)')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ApiProcess:
    """``stacktach-ng-api`` on a free loopback port."""

    def __init__(self, workdir, database_url, auth_strategy='noauth',
                 extra=''):
        self.port = processes.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.config = workdir / 'stacktach-ng.conf'
        self.config.write_text(
            '[DEFAULT]\nstate_path = %s\n[api]\nauth_strategy = %s\n'
            'host = 127.0.0.1\nport = %d\n[database]\nconnection = %s\n%s'
            % (workdir, auth_strategy, self.port, database_url, extra))
        self.log = workdir / 'api.log'
        self.process = None

    def start(self, timeout=60):
        with open(self.log, 'wb') as log:
            self.process = subprocess.Popen(
                [sys.executable, '-c', 'import sys; from stacktach_ng.cmd '
                 'import api; sys.exit(api.main())', '--config-file',
                 str(self.config)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError('the API exited: %s'
                                     % self.log.read_text()[-3000:])
            try:
                requests.get(self.url + '/healthcheck', timeout=5)
                return self
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError('the API did not answer')

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Cloud:
    """A simulated cloud whose notifications go into the API's database.

    ``sim.truth`` says what happened; ``feed(count)`` imports the next
    ``count`` messages and returns their message ids.
    """

    def __init__(self, conf, database, sim):
        self.conf = conf
        self.database = database
        self.sim = sim
        self.pipeline = pipeline.Pipeline(conf, database)
        self.api = None
        self.token = None

    def feed(self, count):
        bodies = list(self.sim.messages(count=count))
        envelopes = [forms.to_envelope(body) for body in bodies]
        for start in range(0, len(envelopes), 500):
            result = self.pipeline.process(envelopes[start:start + 500])
            assert not result.rejected, result.reasons
        return [e['metadata']['message_id'] for e in envelopes]

    def get(self, path, **params):
        headers = {'X-Auth-Token': self.token} if self.token else {}
        response = requests.get(self.api.url + path, params=params,
                                headers=headers, timeout=30)
        response.raise_for_status()
        return response.json()


# A seed whose first INITIAL_MESSAGES hold every kind of operation the
# views are checked on (a failed boot, a stuck boot, a boot across three
# services), whatever the hour the traffic starts at.
def make_cloud(workdir, seed=1):
    database_url = 'sqlite:///%s/ui.sqlite' % workdir
    conf = base.make_conf(database_url)
    database = db_api.Database(conf)
    migration.upgrade(database)
    # Recent traffic, so that the views' default periods (the last day)
    # show it and its stuck operations are stuck by the wall clock.
    start = (datetime.datetime.now(datetime.timezone.utc)
             .replace(tzinfo=None) - datetime.timedelta(hours=3))
    sim = engine.Simulator(seed=seed, start=start, projects=3, hosts=4,
                           failure_rate=0.15, stuck_rate=0.05, fmt='both')
    return Cloud(conf, database, sim)


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('ui')
    cloud = make_cloud(workdir)
    cloud.feed(INITIAL_MESSAGES)
    cloud.api = ApiProcess(workdir, cloud.conf.database.connection).start()
    yield cloud
    cloud.api.stop()
    cloud.database.dispose()


class Console:
    """The errors a page reported (console errors, uncaught exceptions)."""

    def __init__(self, page):
        self.errors = []
        page.on('console', self._message)
        page.on('pageerror', lambda error: self.errors.append(
            'uncaught: %s' % error))

    def _message(self, message):
        if message.type == 'error':
            self.errors.append('%s (%s)' % (message.text, message.location))


@pytest.fixture
def page(browser):
    """A 1366x768 page; the test fails if its console showed an error
    (``page.console.allow(substring)`` allows an expected one)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.console = Console(page)
    page.allowed_errors = []
    yield page
    errors = [e for e in page.console.errors
              if not any(allowed in e for allowed in page.allowed_errors)]
    context.close()
    assert errors == [], 'the browser console showed errors'


def doc_images():
    """The directory of the user guide's screenshots to regenerate, or
    None."""
    directory = os.environ.get(DOC_IMAGES_ENV)
    return pathlib.Path(directory) if directory else None


def screenshot(page, name):
    """Save a screenshot of the page as ``artifacts/ui/<name>.png`` (and
    into the user guide's images when it shows that view)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the last rows paint
    path = ARTIFACTS / ('%s.png' % name)
    page.screenshot(path=str(path))
    images = doc_images()
    if images is not None and name in DOC_IMAGES:
        images.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, images / path.name)
    return path
