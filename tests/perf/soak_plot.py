"""The memory curve of an ingest soak as a PNG picture (matplotlib, a
dependency of the benchmarks only).

``python -m tests.perf.soak_plot TRACE PNG`` draws it again from the
samples a soak wrote (``bench ingest --soak --trace FILE``), also those of
a soak stopped before its end.
"""

import sys

from tests.perf import ingest


def plot(trace, path, title='', warm_up=None, count=None):
    """Draw RSS of each process and PSS of all against the notifications
    handled (the axis up to ``count``, so that a soak stopped early shows
    how far it went); write the PNG to ``path``."""
    import matplotlib

    matplotlib.use('Agg')
    from matplotlib import pyplot

    handled = [sample['handled'] for sample in trace]
    figure, axes = pyplot.subplots(figsize=(9, 4.8), dpi=100)
    axes.plot(handled, [sample['pss_mib'] for sample in trace],
              label='PSS, all processes', linewidth=2)
    roles = sorted({role for sample in trace for role in sample['rss_mib']})
    for role in roles:
        axes.plot(handled, [sample['rss_mib'].get(role) for sample in trace],
                  label='RSS, %s' % role)
    if warm_up:
        axes.axvline(warm_up, color='grey', linestyle=':',
                     label='end of warm-up')
    axes.axhline(200, color='red', linestyle='--', linewidth=1,
                 label='200 MB bar')
    axes.set_xlabel('notifications handled')
    axes.set_ylabel('MiB')
    axes.set_ylim(bottom=0)
    if count:
        axes.set_xlim(0, count)
    axes.ticklabel_format(axis='x', style='plain')
    axes.grid(True, alpha=0.3)
    axes.legend(loc='lower right', fontsize='small')
    axes.set_title(title, fontsize='medium')
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    return path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        sys.stderr.write('usage: python -m tests.perf.soak_plot TRACE '
                         'PNG\n')
        return 2
    parameters, samples = ingest.read_trace(argv[0])
    handled = samples[-1]['handled'] if samples else 0
    plot(samples, argv[1], title=(
        'stacktach-ng listener, %s of %s notifications, %s queues, %s'
        % (format(handled, ','), format(parameters['count'], ','),
           parameters['queues'], parameters['backend'])),
        warm_up=parameters['warm_up'] * parameters['count'],
        count=parameters['count'])
    return 0


if __name__ == '__main__':
    sys.exit(main())
