"""``openstack stacktach ...`` with a real Keystone: the endpoint comes
from the catalog (service type ``stacktach``), the API validates the
token, and a project sees only its own data through the CLI."""

import pytest

from tests.functional import keystone_fixture
from tests.functional import services
from tests.functional.api import data as api_data
from tests.functional.client import server

PASSWORD = 'secret-of-the-cli-tests'


@pytest.fixture(scope='module')
def keystone(tmp_path_factory):
    ks = keystone_fixture.Keystone(str(tmp_path_factory.mktemp('ks')))
    try:
        ks.start()
    except keystone_fixture.KeystoneError as error:
        ks.stop()
        services.unavailable('Keystone', str(error)[:2000])
    yield ks
    ks.stop()


@pytest.fixture(scope='module')
def cloud(keystone, tmp_path_factory):
    """Projects A and B with a member each and an admin, the API process
    behind Keystone in its catalog, and the standard dataset imported."""
    project_a = keystone.create_project('cli-project-a')
    project_b = keystone.create_project('cli-project-b')
    users = {'a_member': (project_a, ['member']),
             'b_member': (project_b, ['member']),
             'a_reader': (project_a, ['reader']),
             'cloud_admin': (project_a, ['admin'])}
    for name, (project, roles) in users.items():
        keystone.create_user(name, PASSWORD, project, roles=roles)
    workdir = tmp_path_factory.mktemp('keystone-api')
    dataset = api_data.standard(project_a, project_b)
    api = server.ApiProcess(workdir, auth_strategy='keystone', sections={
        'keystone_authtoken': keystone.authtoken_options()})
    api.prepare(server.write_jsonl(workdir / 'standard.jsonl',
                                   dataset.envelopes))
    api.start()
    keystone.register_service(api.url + '/')
    try:
        yield {'keystone': keystone, 'api': api, 'data': dataset,
               'users': users, 'a': project_a, 'b': project_b}
    finally:
        api.stop()


def _openstack(cloud, user, **extra):
    project, _ = cloud['users'][user]
    variables = {
        'OS_AUTH_URL': cloud['keystone'].auth_url,
        'OS_IDENTITY_API_VERSION': '3',
        'OS_USERNAME': user, 'OS_PASSWORD': PASSWORD,
        'OS_PROJECT_ID': project, 'OS_USER_DOMAIN_ID': 'default',
        'OS_REGION_NAME': keystone_fixture.REGION,
    }
    variables.update(extra)
    return server.OpenStack(**variables)


def _ids(openstack, *args):
    items = openstack.json('stacktach', 'notification', 'list', '--limit',
                           '1000', *args)
    return {item['message_id'] for item in items}


@pytest.mark.parametrize('user, project', [('a_member', 'a'),
                                           ('a_reader', 'a'),
                                           ('b_member', 'b')])
def test_a_project_sees_only_its_own_notifications(cloud, user, project):
    assert _ids(_openstack(cloud, user)) == cloud['data'].message_ids(
        cloud[project])


def test_another_projects_notification_is_not_found(cloud):
    theirs = cloud['data'].of(cloud['a'])[0]['metadata']['message_id']
    result = _openstack(cloud, 'b_member').run(
        'stacktach', 'notification', 'show', theirs, check=False)
    assert result.returncode == 1
    assert '404' in result.stderr and 'Traceback' not in result.stderr
    item = _openstack(cloud, 'a_member').json(
        'stacktach', 'notification', 'show', theirs)
    assert item['project_id'] == cloud['a']


def test_a_member_cannot_widen_the_scope(cloud):
    openstack = _openstack(cloud, 'a_member')
    for args in (('--all-projects',), ('--project', cloud['b'])):
        result = openstack.run('stacktach', 'notification', 'list', *args,
                               check=False)
        assert result.returncode == 1, args
        assert '403' in result.stderr
        assert 'Traceback' not in result.stderr


def test_admin_sees_every_project_when_asked(cloud):
    openstack = _openstack(cloud, 'cloud_admin')
    data = cloud['data']
    assert _ids(openstack) == data.message_ids(cloud['a'])
    assert _ids(openstack, '--project', cloud['b']) == data.message_ids(
        cloud['b'])
    assert _ids(openstack, '--all-projects') == data.message_ids(None)


def test_counts_are_scoped_too(cloud):
    hosts = _openstack(cloud, 'b_member').json('stacktach', 'host', 'list')
    assert {item['host'] for item in hosts} == {'host-b1', 'host-b2'}


def test_interface_is_honoured(cloud):
    openstack = _openstack(cloud, 'a_member', OS_INTERFACE='internal')
    assert _ids(openstack) == cloud['data'].message_ids(cloud['a'])


def test_unknown_region_has_no_endpoint(cloud):
    openstack = _openstack(cloud, 'a_member', OS_REGION_NAME='Nowhere')
    result = openstack.run('stacktach', 'notification', 'list',
                           check=False)
    assert result.returncode == 1
    assert 'stacktach endpoint' in result.stderr
    assert 'Traceback' not in result.stderr


def test_url_override_keeps_the_token(cloud):
    # The catalog is bypassed, the Keystone token is still sent.
    openstack = _openstack(cloud, 'b_member', OS_REGION_NAME='Nowhere',
                           OS_STACKTACH_URL=cloud['api'].url)
    assert _ids(openstack) == cloud['data'].message_ids(cloud['b'])


def test_no_auth_against_a_keystone_api_is_refused(cloud):
    openstack = server.OpenStack(OS_AUTH_TYPE='none',
                                 OS_STACKTACH_URL=cloud['api'].url)
    result = openstack.run('stacktach', 'notification', 'list',
                           check=False)
    assert result.returncode == 1
    assert '401' in result.stderr


def test_analyses_are_scoped_too(cloud):
    data = cloud['data']
    b_member = _openstack(cloud, 'b_member')
    requests = b_member.json('stacktach', 'request', 'list', '--limit',
                             '1000')
    expected = {e['ctxt']['request_id'] for e in data.of(cloud['b'])}
    assert {item['request_id'] for item in requests} == expected
    assert data.request_b in expected and data.request_a not in expected
    resources = b_member.json('stacktach', 'resource', 'list')
    assert data.instance_b in {item['resource_id'] for item in resources}
    assert data.instance_a not in {item['resource_id']
                                   for item in resources}
    for args in (('request', 'show', data.request_a),
                 ('resource', 'show', data.instance_a)):
        result = b_member.run('stacktach', *args, check=False)
        assert result.returncode == 1, args
        assert '404' in result.stderr
    lifecycle = _openstack(cloud, 'a_member').json(
        'stacktach', 'resource', 'show', data.instance_a)
    assert lifecycle['project_id'] == cloud['a']
