"""``openstack stacktach watch``: a live tail of the notifications.

It polls ``/v1/notifications`` in generation order from a cursor (the
newest generation time seen) and prints what it has not printed yet.
Each poll starts ``--overlap`` seconds before the cursor: the listener
commits its batches concurrently, so a notification can be stored after
a newer one was already shown, and the overlap catches it; the message
ids already printed in that window are remembered, so nothing is printed
twice. When the API cannot be reached (restarted, upgraded) it warns once
and retries with a growing pause; Ctrl-C ends it with status 0.
"""

import datetime
import json
import logging
import time

from osc_lib.command import command

from stacktach_ng.client import exceptions
from stacktach_ng.client.osc.v1 import base
from stacktach_ng.client.osc.v1 import notifications

LOG = logging.getLogger(__name__)

# Longest pause between two tries while the API is away: long enough not
# to hammer a restarting server, short enough to resume promptly.
MAX_BACKOFF = 5.0


def _moment(text):
    moment = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(
            tzinfo=None)
    return moment


def text_line(item):
    """One notification as a terminal line."""
    where = '@'.join(part for part in (item.get('service'),
                                       item.get('host')) if part)
    parts = [item.get('generated_at') or '',
             '%-8s' % (item.get('priority') or ''),
             item.get('event_type') or '', where]
    for key in ('resource_id', 'request_id'):
        if item.get(key):
            parts.append(item[key])
    return '  '.join(parts)


def json_line(item):
    return json.dumps(item, sort_keys=True, default=str)


class Tail:
    """The cursor of a live tail: which notifications are new.

    :param overlap: seconds re-read before the cursor on every poll.
    """

    def __init__(self, overlap):
        self.overlap = datetime.timedelta(seconds=overlap)
        self.cursor = None
        self.seen = {}

    def since(self):
        """The ``since`` of the next poll (None: from the beginning)."""
        if self.cursor is None:
            return None
        return (self.cursor - self.overlap).isoformat()

    def accept(self, item):
        """Whether ``item`` is new; remembers it."""
        message_id = item.get('message_id')
        if message_id in self.seen:
            return False
        moment = _moment(item['generated_at'])
        self.seen[message_id] = moment
        if self.cursor is None or moment > self.cursor:
            self.cursor = moment
        return True

    def forget_old(self):
        """Drop the remembered ids older than the window of the next
        poll, so memory stays bounded by the traffic of ``overlap``."""
        if self.cursor is None:
            return
        horizon = self.cursor - self.overlap
        self.seen = {key: moment for key, moment in self.seen.items()
                     if moment >= horizon}


def transient(error):
    """Errors a restarting API or proxy gives: retry them."""
    return isinstance(error, exceptions.ConnectionFailed) or (
        error.status_code is not None and error.status_code >= 500)


def backoff(interval, failures):
    """The pause after the ``failures``-th failure in a row: doubling
    from the poll interval up to ``MAX_BACKOFF`` (never below the
    interval itself)."""
    return max(interval, min(interval * 2 ** min(failures, 16),
                             MAX_BACKOFF))


class Watch(base.ClientMixin, command.Command):
    """Follow new notifications as they are stored, until Ctrl-C."""

    def __init__(self, *args, sleep=time.sleep, **kwargs):
        super().__init__(*args, **kwargs)
        self.sleep = sleep

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_filters(parser, notifications.FILTERS)
        base.add_scope(parser)
        parser.add_argument(
            '-f', '--format', dest='formatter', choices=('text', 'json'),
            default='text',
            help='text: one line per notification (default); json: one '
                 'JSON document per line')
        parser.add_argument(
            '--interval', metavar='<seconds>', type=base.non_negative_seconds,
            default=2.0,
            help='Seconds between two polls (default 2)')
        parser.add_argument(
            '--history', metavar='<n>', type=base.non_negative_int,
            default=10,
            help='Start by showing the <n> latest notifications '
                 '(default 10; 0 shows only new ones)')
        parser.add_argument(
            '--overlap', metavar='<seconds>', type=base.non_negative_seconds,
            default=10.0,
            help='Re-read this many seconds before the newest notification '
                 'seen, to catch those stored late (default 10)')
        parser.add_argument(
            '--count', metavar='<n>', type=base.positive_int, default=None,
            help='Stop after printing <n> notifications (default: run '
                 'until interrupted)')
        return parser

    def take_action(self, parsed_args):
        filters = base.named_filters(parsed_args, notifications.FILTERS)
        filters.update(base.scope_filters(parsed_args))
        line = json_line if parsed_args.formatter == 'json' else text_line
        self.printed = 0
        self.remaining = parsed_args.count
        try:
            self._run(parsed_args, filters, line)
        except KeyboardInterrupt:
            pass
        return 0

    def _emit(self, item, line):
        stream = self.app.stdout
        stream.write(line(item) + '\n')
        stream.flush()
        self.printed += 1
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                raise _Done()

    def _run(self, parsed_args, filters, line):
        tail = Tail(parsed_args.overlap)
        try:
            self._start(tail, parsed_args, filters, line)
            self._follow(tail, parsed_args, filters, line)
        except _Done:
            return

    def _retrying(self, parsed_args, call):
        """``call()`` until it does not fail transiently; warns once per
        outage on stderr, then says when the API is back."""
        failures = 0
        while True:
            try:
                result = call()
            except exceptions.ClientError as error:
                if not transient(error):
                    raise
                if failures == 0:
                    self.app.stderr.write(
                        'warning: %s; retrying until it answers '
                        '(Ctrl-C to stop)\n' % error)
                    self.app.stderr.flush()
                failures += 1
                self.sleep(backoff(parsed_args.interval, failures))
                continue
            if failures:
                self.app.stderr.write('the API answers again\n')
                self.app.stderr.flush()
            return result

    def _start(self, tail, parsed_args, filters, line):
        """Show the history and set the cursor at the newest one."""
        latest = self._retrying(parsed_args, lambda: list(
            self.client.notifications(limit=max(parsed_args.history, 1),
                                      sort_dir='desc', **filters)))
        for item in reversed(latest):
            tail.accept(item)
        # Remember, without printing them, the older ones the first poll
        # will re-read inside the overlap window.
        if tail.cursor is not None:
            window = self._retrying(parsed_args, lambda: list(
                self.client.notifications(sort_dir='asc',
                                          since=tail.since(), **filters)))
            for item in window:
                tail.accept(item)
        for item in reversed(latest[:parsed_args.history]):
            self._emit(item, line)

    def _follow(self, tail, parsed_args, filters, line):
        while True:
            self.sleep(parsed_args.interval)
            # The whole poll is read before anything is accepted: a poll
            # that fails half-way is retried from the same cursor.
            polled = self._retrying(parsed_args, lambda: list(
                self.client.notifications(sort_dir='asc',
                                          since=tail.since(), **filters)))
            for item in polled:
                if tail.accept(item):
                    self._emit(item, line)
            tail.forget_old()


class _Done(Exception):
    """``--count`` notifications were printed."""

