"""Where the time of the ingest pipeline goes.

``StageTimer`` wraps a ``Pipeline`` in place: the time spent normalizing
(``prepare``), in each handler's ``process`` and in the whole ``store``
(handlers plus the transaction's begin and commit) is added up, so that a
run tells which stage to work on. ``top_functions`` turns a cProfile run
into the rows of a report.
"""

import functools
import pstats
import threading
import time


class StageTimer:
    """Cumulative seconds per pipeline stage (thread-safe)."""

    def __init__(self, pipeline, clock=time.perf_counter):
        """``clock``: wall time by default; ``time.process_time`` for the
        CPU time of this process."""
        self.seconds = {}
        self._clock = clock
        self._lock = threading.Lock()
        pipeline.prepare = self._timed('normalize', pipeline.prepare)
        pipeline.store = self._timed('store (handlers + commit)',
                                     pipeline.store)
        for handler in pipeline.handlers:
            handler.process = self._timed('handler ' + handler.name,
                                          handler.process)

    def _timed(self, stage, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = self._clock()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = self._clock() - started
                with self._lock:
                    self.seconds[stage] = (self.seconds.get(stage, 0.0)
                                           + elapsed)
        return timed

    def rows(self, total_seconds, count):
        """Rows ``{stage, seconds, share, us_per_message}``, the stages in
        the order they run, then what is left (reading and parsing the
        input, batching)."""
        handlers = sum(seconds for stage, seconds in self.seconds.items()
                       if stage.startswith('handler '))
        store = self.seconds.get('store (handlers + commit)', 0.0)
        rows = [(stage, seconds) for stage, seconds in self.seconds.items()
                if stage != 'store (handlers + commit)']
        rows.append(('transaction begin/commit', max(store - handlers, 0.0)))
        accounted = self.seconds.get('normalize', 0.0) + store
        rows.append(('reading, parsing, batching',
                     max(total_seconds - accounted, 0.0)))
        return [{'stage': stage, 'seconds': round(seconds, 3),
                 'share': (seconds / total_seconds if total_seconds
                           else None),
                 'us_per_message': (seconds / count * 1e6 if count
                                    else None)}
                for stage, seconds in rows]


def top_functions(profile, limit=25):
    """The functions of a ``cProfile.Profile`` with the most own time:
    rows ``{function, calls, own_s, cumulative_s}``."""
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), (_primitive, calls, own, cumulative,
                                 _callers) in stats.stats.items():
        rows.append({'function': '%s:%d(%s)' % (_short(filename), line,
                                                name),
                     'calls': calls, 'own_s': round(own, 3),
                     'cumulative_s': round(cumulative, 3)})
    rows.sort(key=lambda row: -row['own_s'])
    return rows[:limit]


def _short(filename):
    """A file name from the package it belongs to on."""
    for marker in ('site-packages/', 'lib/python'):
        if marker in filename:
            return filename.split(marker, 1)[1]
    parts = filename.split('/')
    if 'stacktach_ng' in parts:
        return '/'.join(parts[parts.index('stacktach_ng'):])
    return filename
