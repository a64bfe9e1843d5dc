"""The views a first look lands on, at a laptop's 1366x768 and at 900 px
wide: the percentiles chart spans the selected period and reads right
with one bucket, the trace shows each span once with its critical path
over the whole tree, and a lifecycle never reads "open for —"."""

import datetime
import re
import urllib.parse

import pytest

from tests.functional.ui.conftest import screenshot
from tests.functional.ui.test_views import stuck_boot
from tests.functional.ui.test_views import traced_boot
from tests.functional.ui.test_views import ui
from tests.functional.ui.test_views import wait_view

WIDTHS = {'laptop': {'width': 1366, 'height': 768},
          'narrow': {'width': 900, 'height': 768}}


@pytest.fixture(params=sorted(WIDTHS))
def sized(request, page):
    """The page at each width; yields the width's name."""
    page.set_viewport_size(WIDTHS[request.param])
    return request.param


def _no_horizontal_scroll(page):
    assert page.evaluate(
        '() => document.documentElement.scrollWidth <= '
        'document.documentElement.clientWidth + 1')


def _tick_labels(chart):
    return chart.locator('text.x-tick').evaluate_all(
        'ticks => ticks.map(t => t.textContent)')


def test_the_chart_axis_is_the_selected_period(cloud, page, sized):
    asked = []
    page.on('request', lambda request: asked.append(request.url)
            if 'bucket=' in request.url else None)
    page.goto(ui(cloud, '#/timings?operation=instance.create&period=6h'))
    wait_view(page)
    chart = page.locator('svg.chart').first
    chart.locator('circle').first.wait_for()
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
        asked[-1]).query))
    labels = _tick_labels(chart)
    # From the period's start to its end, every label different.
    assert labels[0] == query['since'][11:16]
    assert labels[-1] == query['until'][11:16]
    assert len(set(labels)) == len(labels)
    # The traffic covers the last three of the six hours: its points sit
    # in the right half of the axis, not stretched over all of it.
    width = float(chart.get_attribute('viewBox').split()[2])
    xs = [float(x) for x in chart.locator('circle').evaluate_all(
        'circles => circles.map(c => c.getAttribute("cx"))')]
    assert min(xs) > 0.4 * width, (min(xs), width)
    _no_horizontal_scroll(page)
    screenshot(page, 'timings-operation-%s' % sized)


def test_one_bucket_still_reads_right(cloud, page, sized):
    page.goto(ui(cloud, '#/timings'))
    wait_view(page)
    since = datetime.datetime(2026, 1, 31, 12, 0,
                              tzinfo=datetime.timezone.utc)
    since_ms = int(since.timestamp() * 1000)
    found = page.evaluate('''async ([since, width]) => {
      const charts = await import('./lib/charts.js');
      const svg = charts.lineChart([{name: 'p50', color: '#2563eb',
        points: [[since + 1800 * 1000, 472000]]}],
        {width, domain: [since, since + 3600 * 1000]});
      return {labels: [...svg.querySelectorAll('text.x-tick')]
                .map((t) => t.textContent),
              cx: Number(svg.querySelector('circle').getAttribute('cx')),
              width: Number(svg.getAttribute('viewBox').split(' ')[2])};
    }''', [since_ms, WIDTHS[sized]['width'] - 100])
    labels = found['labels']
    assert labels[0] == '12:00' and labels[-1] == '13:00'
    assert len(set(labels)) == len(labels)
    # The bucket of 12:30 sits in the middle of the hour, not at an edge.
    assert 0.4 < found['cx'] / found['width'] < 0.6


def _rows(page):
    return page.locator('.wf-row[data-span-id]')


def test_the_trace_shows_each_span_once_and_the_whole_path(cloud, page,
                                                            sized):
    op = traced_boot(cloud.sim.truth)
    trace = cloud.get('/v1/requests/%s' % op.request_id)
    page.goto(ui(cloud, '#/requests/%s' % op.request_id))
    _rows(page).first.wait_for()
    rows = _rows(page).evaluate_all('''rows => rows.map(r => ({
        id: r.dataset.spanId, kind: r.dataset.kind,
        request: r.dataset.requestId,
        critical: r.classList.contains('critical')}))''')
    assert len(rows) == trace['span_count']
    assert len({row['id'] for row in rows}) == len(rows)

    def spans(span, parent=None):
        yield span, parent
        for child in span['children']:
            yield from spans(child, span)

    for span, parent in spans(trace['root']):
        if parent is not None:
            # No span repeats its parent's request, start and end.
            assert (span['request_id'], span['started_at'],
                    span['ended_at']) != (parent['request_id'],
                                          parent['started_at'],
                                          parent['ended_at'])
    marked = [row['id'] for row in rows if row['critical']]
    assert marked == trace['critical_path']
    # The path is a chain of work: below the root, it marks the child
    # that ended last and those that ended before it started.
    children = {child['id']: child for child in trace['root']['children']}
    on_path = [children[i] for i in marked if i in children]
    assert on_path
    last = max(trace['root']['children'],
               key=lambda child: child['ended_at'] or child['started_at'])
    assert last['id'] in marked
    if any((child['ended_at'] or child['started_at']) <= last['started_at']
           for child in children.values()):
        # Work done before the last child started is on the path too.
        assert len(on_path) >= 2, on_path
    for before, after in zip(on_path, on_path[1:]):
        assert (before['ended_at'] or before['started_at']) <= \
            after['started_at']
    assert 'follows the child that ends last' not in page.inner_text('#view')
    _no_horizontal_scroll(page)
    screenshot(page, 'trace-%s' % sized)


def test_a_lifecycle_never_reads_open_for_nothing(cloud, page, sized):
    stuck = stuck_boot(cloud.sim.truth)
    page.goto(ui(cloud, '#/resources/%s' % stuck['resource_id']))
    page.locator('svg.gantt').wait_for()
    wait_view(page)
    text = page.inner_text('#view')
    assert 'open for —' not in text
    # The stuck boot's operation is open, for a duration shown in units.
    assert re.search(r'open for \d+(\.\d+)? (h|min|s)', text), text
    _no_horizontal_scroll(page)
    screenshot(page, 'resource-stuck-%s' % sized)


def test_an_open_operation_with_no_start_reads_open(cloud, page):
    page.goto(ui(cloud, '#/timings'))
    wait_view(page)
    shown = page.evaluate('''async () => {
      const view = await import('./views/resource.js');
      return [view.openOrDuration({outcome: 'open', age_us: null}),
              view.openOrDuration({outcome: 'open', age_us: 90000000}),
              view.openOrDuration({outcome: 'success',
                                   duration_us: 472000})];
    }''')
    assert shown == ['open', 'open for 1 min 30 s', '472 ms']
