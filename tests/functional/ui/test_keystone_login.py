"""Logging in to the web UI against a real Keystone: with a user name,
password and project (the API asks Keystone for the token), or with a
pasted token."""

import re

import pytest

from tests.functional import keystone_fixture
from tests.functional import services
from tests.functional.ui import conftest
from tests.functional.ui.conftest import screenshot

PASSWORD = 'secret-of-the-ui-tests'


@pytest.fixture(scope='module')
def keystone(tmp_path_factory):
    server = keystone_fixture.Keystone(str(tmp_path_factory.mktemp('ks')))
    try:
        server.start()
    except keystone_fixture.KeystoneError as error:
        server.stop()
        services.unavailable('Keystone', str(error)[:2000])
    yield server
    server.stop()


@pytest.fixture(scope='module')
def secured(keystone, tmp_path_factory):
    """The API under auth_strategy = keystone, over simulated traffic of
    the user's project."""
    project = keystone.create_project('ui-project')
    keystone.create_user('operator', PASSWORD, project, roles=['admin'])
    workdir = tmp_path_factory.mktemp('ui-ks')
    cloud = conftest.make_cloud(workdir, seed=5)
    cloud.feed(300)
    options = '[keystone_authtoken]\n' + ''.join(
        '%s = %s\n' % item for item in keystone.authtoken_options().items())
    cloud.api = conftest.ApiProcess(
        workdir, cloud.conf.database.connection,
        auth_strategy='keystone', extra=options).start()
    cloud.token = keystone.token('operator', PASSWORD, project_id=project)
    yield cloud, project
    cloud.api.stop()
    cloud.database.dispose()


def test_password_login(secured, page):
    cloud, project = secured
    page.goto('%s/ui/#/feed' % cloud.api.url)
    # No token yet: the log in form, and no failed request before it.
    page.wait_for_url(re.compile(r'#/login'))
    page.get_by_label('User name').fill('operator')
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_label('Project', exact=True).fill('ui-project')
    screenshot(page, 'login')
    page.get_by_role('button', name='Log in', exact=True).click()
    page.wait_for_url(re.compile(r'#/feed$'))
    # The token's own project has no traffic: the feed says so.
    page.get_by_text('No notification has been received yet').wait_for()
    # An admin switches to every project and sees the cloud's traffic.
    page.get_by_label('All projects').check()
    page.locator('tr.notification').first.wait_for()
    newest = cloud.get('/v1/notifications', limit=1, all_projects='true')
    token = page.evaluate(
        "JSON.parse(sessionStorage.getItem('stacktach-ng.token'))")
    assert token['project']['id'] == project
    assert token['user']['name'] == 'operator'
    assert token['all_projects'] is True
    assert page.locator('tr.notification').first.get_attribute(
        'data-message-id') == newest['notifications'][0]['message_id']
    assert page.evaluate('localStorage.length') == 0
    assert 'operator @ ui-project' in page.locator('#session').inner_text()
    screenshot(page, 'feed-keystone')

    # Log out: the token is gone and the views ask to log in again.
    page.get_by_role('button', name='Log out').click()
    page.wait_for_url(re.compile(r'#/login'))
    assert page.evaluate(
        "sessionStorage.getItem('stacktach-ng.token')") is None


def test_wrong_password_is_said_in_words(secured, page):
    cloud, _project = secured
    # The refused POST is the one expected console message.
    page.allowed_errors.append('/v1/auth/tokens')
    page.goto('%s/ui/#/login' % cloud.api.url)
    page.get_by_label('User name').fill('operator')
    page.get_by_label('Password').fill('not-the-password')
    page.get_by_label('Project', exact=True).fill('ui-project')
    page.get_by_role('button', name='Log in', exact=True).click()
    box = page.locator('.state.error')
    box.wait_for()
    assert 'Keystone refused these credentials' in box.inner_text()
    assert page.evaluate(
        "sessionStorage.getItem('stacktach-ng.token')") is None


def test_pasted_token(secured, keystone, page):
    cloud, project = secured
    token = keystone.token('operator', PASSWORD, project_id=project)
    page.goto('%s/ui/#/login' % cloud.api.url)
    page.get_by_label('Token').fill(token)
    page.get_by_role('button', name='Use this token').click()
    page.wait_for_url(re.compile(r'#/feed'))
    page.get_by_label('All projects').check()
    page.locator('tr.notification').first.wait_for()
    page.goto('%s/ui/#/requests' % cloud.api.url)
    page.locator('a.request-link').first.wait_for()
