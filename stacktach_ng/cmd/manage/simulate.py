"""``stacktach-ng-manage simulate``: realistic traffic, with ground truth.

Writes JSON lines (``--output``) or publishes to a message bus
(``--transport-url``); see ``stacktach_ng.simulator``.
"""

import sys

from stacktach_ng.common import durations
from stacktach_ng.common import timestamps
from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks


class UsageError(Exception):
    """A bad option value: one line on stderr, exit code 2."""


def parse_duration(text):
    """``90``, ``90s``, ``5m``, ``2h``, ``1d`` -> timedelta."""
    try:
        return durations.parse(text, bare_unit='s')
    except ValueError as e:
        raise UsageError(str(e)) from None


def _start(text):
    if not text:
        return None
    moment = timestamps.parse(text)
    if moment is None:
        raise UsageError('invalid --start %r (use an ISO 8601 time, '
                         'e.g. 2026-01-01T00:00:00)' % text)
    return moment


def _open_sink(conf, args):
    if args.bus_url:
        return sinks.TransportSink(args.bus_url, args.topic,
                                   conf=conf)
    try:
        return sinks.FileSink(args.output or '-', args.form)
    except OSError as e:
        raise UsageError('cannot write %s: %s' % (args.output,
                                                  e.strerror)) from None


def summary(sim, sent, elapsed):
    """Human-readable summary of a run."""
    truth = sim.truth
    lines = ['%d messages in %.1f s (%.0f/s), simulated %s -> %s.' % (
        sent, elapsed, sent / elapsed if elapsed > 0 else 0.0,
        sim.start.isoformat(sep=' '), sim.now.isoformat(sep=' '))]
    services = ', '.join('%s %d' % item for item in sorted(
        sim.stats['services'].items()))
    lines.append('By service: %s.' % services)
    lines.append('Top event types:')
    for family, count in sim.stats['families'].most_common(12):
        lines.append('  %-45s %7d  %5.1f%%' % (family, count,
                                               100.0 * count / max(sent, 1)))
    operations = {}
    for op in truth.operations.values():
        counts = operations.setdefault(op.name, {})
        counts[op.outcome] = counts.get(op.outcome, 0) + 1
    lines.append('Operations:')
    for name in sorted(operations):
        counts = operations[name]
        lines.append('  %-15s %s' % (name, ', '.join(
            '%s %d' % (outcome, counts[outcome])
            for outcome in sorted(counts))))
    failures = sum(1 for op in truth.operations.values()
                   if op.outcome == 'error')
    lines.append('Failures: %d; stuck: %d; exists records: %d.' % (
        failures, len(truth.stuck), len(truth.exists)))
    return '\n'.join(lines)


def do_simulate(conf, args):
    try:
        if args.count is not None and args.count < 0:
            raise UsageError('--count must not be negative')
        if args.rate < 0:
            raise UsageError('--rate must not be negative')
        if args.output and args.bus_url:
            raise UsageError('give --output or --transport-url, not both')
        duration = parse_duration(args.duration) if args.duration else None
        count = args.count
        if count is None and duration is None:
            count = 1000
        try:
            sim = engine.Simulator(
                seed=args.seed, start=_start(args.start),
                projects=args.projects, hosts=args.hosts, fmt=args.format,
                failure_rate=args.failure_rate, stuck_rate=args.stuck_rate,
                audit_period=args.audit_period,
                with_tokens=args.with_tokens, realtime=args.realtime)
        except ValueError as e:
            raise UsageError(str(e)) from None
        sink = _open_sink(conf, args)
    except UsageError as e:
        sys.stderr.write('stacktach-ng-manage simulate: %s\n' % e)
        return 2

    # Keep standard output clean for the messages when they go there.
    report = sys.stderr if (not args.bus_url and
                            (args.output or '-') == '-') else sys.stdout
    bucket = sinks.TokenBucket(args.rate)
    began = timestamps.utcnow()
    sent = 0
    try:
        for notification in sim.notifications(count=count,
                                               duration=duration):
            bucket.take()
            sink.publish(notification.body, notification.service)
            sent += 1
    except BrokenPipeError:
        # The reader (head, a pager) has seen enough.
        sys.stderr.close()
        return 0
    finally:
        try:
            sink.close()
        except BrokenPipeError:
            pass
    elapsed = (timestamps.utcnow() - began).total_seconds()
    if args.truth:
        try:
            sim.truth.write(args.truth)
        except OSError as e:
            sys.stderr.write('stacktach-ng-manage simulate: cannot write '
                             'the truth to %s: %s\n' % (args.truth,
                                                        e.strerror))
            return 1
    report.write(summary(sim, sent, elapsed) + '\n')
    return 0


def add_parsers(subparsers):
    parser = subparsers.add_parser(
        'simulate',
        help='Generate realistic notification traffic (nova legacy and '
             'versioned, glance, cinder, neutron) with its ground truth, '
             'to a JSON-lines file or to a message bus.')
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument('--count', type=int, default=None,
                        help='Number of messages (default 1000 when '
                             '--duration is not given).')
    amount.add_argument('--duration', default=None,
                        help='Simulated time to cover instead of a count: '
                             '60s, 5m, 2h, 1d.')
    parser.add_argument('--rate', type=float, default=0.0,
                        help='Messages per second to emit at most '
                             '(0 = as fast as possible).')
    parser.add_argument('--seed', type=int, default=42,
                        help='Random seed: the same seed and options give '
                             'byte-identical output (default 42).')
    parser.add_argument('--format', default='legacy',
                        choices=engine.FORMATS,
                        help="nova's notification format: legacy, "
                             'versioned, both (each event twice), or mixed '
                             '(a format per host). Default legacy.')
    parser.add_argument('--failure-rate', type=float, default=0.05,
                        help='Probability that a boot or a snapshot fails '
                             '(default 0.05).')
    parser.add_argument('--stuck-rate', type=float, default=0.01,
                        help='Probability that an operation never finishes '
                             '(default 0.01).')
    parser.add_argument('--projects', type=int, default=10,
                        help='Number of projects (default 10).')
    parser.add_argument('--hosts', type=int, default=20,
                        help='Number of compute hosts (default 20).')
    parser.add_argument('--start', default=None,
                        help='Start of the simulated clock, ISO 8601 UTC '
                             '(default 2026-01-01T00:00:00).')
    parser.add_argument('--audit-period', default='day',
                        choices=sorted(engine.AUDIT_PERIODS),
                        help='Period of the .exists audits (default day).')
    parser.add_argument('--realtime', action='store_true',
                        help='Start the clock now and emit each message '
                             'when its time comes, so timestamps are the '
                             'current time.')
    parser.add_argument('--with-tokens', action='store_true',
                        help='Put auth tokens and service catalogs in the '
                             'contexts, as old producers did (to test '
                             'scrubbing).')
    parser.add_argument('--output', default=None, metavar='FILE',
                        help='Write JSON lines to FILE, or "-" for standard '
                             'output (the default without '
                             '--transport-url).')
    parser.add_argument('--form', default='wire-v2', choices=sinks.FORMS,
                        help='Form of the written messages: wire-v2 '
                             '(default), wire-v1 or listener.')
    # Not "transport_url": the parsed arguments live in the configuration
    # object, where oslo.messaging registers an option of that name.
    parser.add_argument('--transport-url', dest='bus_url', default=None,
                        help='Publish through oslo.messaging to this '
                             'transport URL instead of writing a file.')
    parser.add_argument('--topic', default='stacktach',
                        help='Notification topic to publish on; queues are '
                             '<topic>.<priority> (default stacktach).')
    parser.add_argument('--truth', default=None, metavar='FILE',
                        help='Write the ground truth (JSON) to FILE.')
    parser.set_defaults(func=do_simulate)
