"""The web UI in headless Chromium against a real API process fed by the
simulator; what the pages show is checked against the simulator's ground
truth."""

import re

import pytest

from tests.functional.ui.conftest import screenshot


def ui(cloud, fragment=''):
    return '%s/ui/%s' % (cloud.api.url, fragment)


def wait_view(page):
    """Wait until no loading indicator is left."""
    page.wait_for_function(
        "() => !document.querySelector('#view .state.loading')")


def no_error_box(page):
    assert page.locator('#view .state.error').count() == 0, \
        page.locator('#view .state.error').all_inner_texts()


def failed_boot(truth):
    for op in truth.operations.values():
        if (op.name == 'create' and op.outcome == 'error' and op.error
                and op.error['event_type'].endswith('create.error')):
            return op
    pytest.fail('the simulation has no failed boot')


def stuck_boot(truth):
    for item in truth.stuck:
        if item['name'] == 'create':
            return item
    pytest.fail('the simulation has no stuck boot')


def traced_boot(truth):
    """A successful boot whose request reached three services or more."""
    for op in truth.operations.values():
        services = {phase.service for phase in op.phases}
        if op.name == 'create' and op.outcome == 'success' and \
                len(services) >= 3:
            return op
    pytest.fail('the simulation has no boot across three services')


# Counts the page's requests for notifications from now on.
_SPY_ON_FEED_REQUESTS = """() => {
    window.feedRequests = 0;
    const fetchFor = window.fetch;
    window.fetch = (target, options) => {
        if (String(target).includes('/v1/notifications')) {
            window.feedRequests += 1;
        }
        return fetchFor(target, options);
    };
}"""

# The feed's refresh interval (views/feed.js).
_FEED_INTERVAL_MS = 3000


def test_feed_shows_new_notifications(cloud, page):
    # The page's timers on a clock the test can move: it flows as usual
    # until the test runs it forward.
    page.clock.install()
    page.goto(ui(cloud))
    page.wait_for_url(re.compile(r'#/feed$'))
    rows = page.locator('tr.notification')
    rows.first.wait_for()
    newest = cloud.get('/v1/notifications', limit=1)['notifications'][0]
    assert rows.first.get_attribute('data-message-id') == \
        newest['message_id']
    screenshot(page, 'feed')

    # New notifications appear while the page is open, newest on top.
    added = cloud.feed(20)
    page.locator('tr.notification[data-message-id="%s"]'
                 % added[-1]).wait_for(timeout=15000)
    shown = page.locator('tr.notification').evaluate_all(
        'rows => rows.map(r => r.dataset.messageId)')
    assert set(added) <= set(shown)
    assert page.locator('tr.fresh').count() >= len(added)

    # Paused, it stops; resumed, it catches up.
    page.get_by_role('button', name='Pause').click()
    paused = cloud.feed(5)
    # Three refreshes fire at once on the page's clock: none asks the API.
    page.evaluate(_SPY_ON_FEED_REQUESTS)
    page.clock.run_for(3 * _FEED_INTERVAL_MS + 100)
    assert page.evaluate('window.feedRequests') == 0
    assert page.locator('tr.notification[data-message-id="%s"]'
                        % paused[-1]).count() == 0
    assert 'Paused' in page.locator('.live-status').inner_text()
    page.get_by_role('button', name='Resume').click()
    page.locator('tr.notification[data-message-id="%s"]'
                 % paused[-1]).wait_for(timeout=15000)
    assert page.evaluate('window.feedRequests') >= 1

    # A row opens to its pretty JSON.
    first = page.locator('tr.notification').first
    message_id = first.get_attribute('data-message-id')
    first.locator('button.expand').click()
    detail = page.locator('tr.detail pre.json')
    detail.wait_for()
    assert message_id in detail.inner_text()
    assert '"payload"' in detail.inner_text()
    screenshot(page, 'feed-expanded')


def test_feed_click_value_filters(cloud, page):
    page.goto(ui(cloud, '#/feed'))
    page.locator('tr.notification').first.wait_for()
    link = page.locator('tr.notification a.v[data-filter="host"]').first
    host = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r'host=%s' % re.escape(host)))
    page.locator('.chip').first.wait_for()
    page.wait_for_function(
        "host => [...document.querySelectorAll("
        "'tr.notification a.v[data-filter=host]')].length > 0 && "
        "[...document.querySelectorAll("
        "'tr.notification a.v[data-filter=host]')]"
        ".every(a => a.textContent === host)", arg=host)
    expected = cloud.get('/v1/notifications', host=host, limit=50)
    shown = page.locator('tr.notification').evaluate_all(
        'rows => rows.map(r => r.dataset.messageId)')
    assert shown == [n['message_id'] for n in expected['notifications']]
    screenshot(page, 'feed-filtered')


def test_request_waterfall(cloud, page):
    op = traced_boot(cloud.sim.truth)
    page.goto(ui(cloud, '#/requests?operation=instance.create'))
    link = page.locator('a.request-link[data-request-id="%s"]'
                        % op.request_id)
    link.wait_for()
    screenshot(page, 'requests')
    link.click()
    page.wait_for_url(re.compile(re.escape(op.request_id)))
    page.locator('.wf-row[data-span-id]').first.wait_for()
    trace = cloud.get('/v1/requests/%s' % op.request_id)
    spans = page.locator('.wf-row[data-span-id]')
    assert spans.count() == trace['span_count']
    root = spans.first
    assert root.get_attribute('data-request-id') == op.request_id
    assert root.get_attribute('data-kind') == 'request'
    shown_requests = set(spans.evaluate_all(
        'rows => rows.map(r => r.dataset.requestId)'))
    # Every service the boot went through (nova, neutron, cinder ...) has
    # its request in the waterfall.
    assert {phase.request_id for phase in op.phases} <= shown_requests
    services = set(spans.evaluate_all(
        'rows => rows.map(r => r.dataset.service)'))
    assert len(services) >= 3
    # The critical path is marked, from the root down.
    critical = spans.evaluate_all(
        "rows => rows.filter(r => r.classList.contains('critical'))"
        ".map(r => r.dataset.spanId)")
    assert critical and critical == [s for s in trace['critical_path']
                                     if s in critical]
    assert critical[0] == trace['critical_path'][0]
    # A span opens to its notifications.
    root.locator('button.wf-label').click()
    assert page.locator('.wf-detail table').count() == 1
    screenshot(page, 'trace')
    no_error_box(page)


def test_stuck_instance_is_flagged(cloud, page):
    stuck = stuck_boot(cloud.sim.truth)
    page.goto(ui(cloud, '#/resources'))
    row = page.locator('tr.stuck[data-resource-id="%s"]'
                       % stuck['resource_id'])
    row.wait_for()
    assert 'stuck' in row.inner_text()
    assert stuck['task_state'] in row.inner_text()
    screenshot(page, 'resources')
    row.locator('a').first.click()
    banner = page.locator('.stuck-banner')
    banner.wait_for()
    assert 'Stuck in instance.create' in banner.inner_text()
    assert stuck['task_state'] in banner.inner_text()
    page.locator('svg.gantt').wait_for()
    screenshot(page, 'resource-stuck')
    no_error_box(page)


def test_failed_boot_shows_its_error(cloud, page):
    op = failed_boot(cloud.sim.truth)
    error = op.error
    page.goto(ui(cloud, '#/resources/%s' % op.resource_id))
    faults = page.locator('tr.fault-row')
    faults.first.wait_for()
    text = faults.first.inner_text()
    assert error['type'] in text
    assert error['message'] in text
    assert error['type'] in page.locator('.stuck-banner').inner_text()
    screenshot(page, 'resource-failed')

    # Its request: the waterfall marks the failure and names the error.
    page.goto(ui(cloud, '#/requests/%s' % op.request_id))
    page.locator('.wf-row.failed').first.wait_for()
    page.wait_for_function(
        "text => document.querySelector('#view').innerText.includes(text)",
        arg=error['message'])
    screenshot(page, 'trace-failed')

    # The error groups, and the group's samples lead to the request.
    page.goto(ui(cloud, '#/errors'))
    group = page.locator('a.error-link', has_text=error['type'])
    group.first.wait_for()
    screenshot(page, 'errors')
    group.first.click()
    # Wait for the group's own page: the list's table is still in the view
    # until it renders, so waiting for any table could read the list.
    page.wait_for_url('**/#/errors/*')
    # One of its samples leads to the request (raises when none comes).
    page.locator('#view a[href="#/requests/%s"]'
                 % op.request_id).first.wait_for()
    screenshot(page, 'error')
    no_error_box(page)


@pytest.mark.parametrize('name,fragment,expect', [
    ('timings', '#/timings', 'instance.create'),
    ('timings-operation', '#/timings?operation=instance.create',
     'Percentiles over time'),
    ('overview', '#/overview', 'Hosts'),
    ('search', '#/search?event_type=compute.instance.create.*',
     'compute.instance.create'),
    ('usage', '#/usage', 'Usage'),
    ('verifications', '#/verifications', 'Verifications'),
    ('login-noauth', '#/login', 'no need to log in'),
])
def test_view_renders(cloud, page, name, fragment, expect):
    page.goto(ui(cloud, fragment))
    wait_view(page)
    page.wait_for_function(
        "text => document.querySelector('#view').innerText.includes(text)",
        arg=expect)
    no_error_box(page)
    screenshot(page, name)


def test_timings_charts_match_the_api(cloud, page):
    page.goto(ui(cloud, '#/timings?operation=instance.create'))
    wait_view(page)
    page.locator('svg.chart circle').first.wait_for()
    summary = cloud.get('/v1/timings/summary', operation='instance.create',
                        group_by='host')
    hosts = page.locator('#view table').first.locator('tbody tr')
    assert hosts.count() == len(summary['summary'])


def test_notification_detail(cloud, page):
    newest = cloud.get('/v1/notifications', limit=1)['notifications'][0]
    page.goto(ui(cloud, '#/notifications/%s' % newest['message_id']))
    page.locator('pre.json').first.wait_for()
    assert page.locator('h1').inner_text() == newest['event_type']
    if newest['request_id']:
        assert page.locator('#view a[href="#/requests/%s"]'
                            % newest['request_id']).count() == 1
    screenshot(page, 'notification')


def test_unknown_view_and_missing_request(cloud, page):
    # The 404 of the API call is the one expected console message.
    page.allowed_errors.append('/v1/requests/req-does-not-exist')
    page.goto(ui(cloud, '#/nowhere'))
    page.get_by_text('There is no view at this address.').wait_for()
    page.goto(ui(cloud, '#/requests/req-does-not-exist'))
    box = page.locator('#view .state.error')
    box.wait_for()
    assert 'No request has id req-does-not-exist' in box.inner_text()
