"""Memory and CPU of a process and the processes it started (Linux /proc).

A listener worker stores its batches in child processes: its memory and
CPU are those of the whole tree.
"""

import os

_TICKS = os.sysconf('SC_CLK_TCK')


def _field_kib(path, field):
    """The KiB figure of the line starting with ``field`` in a /proc
    file, or None when the process is gone or the file unreadable."""
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def rss_kib(pid):
    """VmRSS of a process in KiB, or None when it is gone."""
    return _field_kib('/proc/%d/status' % pid, 'VmRSS:')


def pss_kib(pid):
    """Proportional set size in KiB (a page shared by N processes counts
    1/N in each), or None when it is gone or unreadable."""
    return _field_kib('/proc/%d/smaps_rollup' % pid, 'Pss:')


def children(pid):
    """The pids a process forked, from each of its threads (oslo.service
    forks the workers from a thread)."""
    found = []
    try:
        threads = os.listdir('/proc/%d/task' % pid)
    except OSError:
        return found
    for thread in threads:
        try:
            with open('/proc/%d/task/%s/children' % (pid, thread)) as listing:
                found.extend(int(item) for item in listing.read().split())
        except (OSError, ValueError):
            continue
    return found


def descendants(pid):
    """The pids of a process's children, grandchildren..."""
    found = []
    pending = [pid]
    while pending:
        below = children(pending.pop())
        found.extend(below)
        pending.extend(below)
    return found


def cpu_seconds(pid):
    """User plus system CPU seconds of a live process, or 0 when gone."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            text = stat.read()
    except OSError:
        return 0.0
    # The command name may hold spaces: fields start after its ')'.
    fields = text[text.rindex(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu_seconds(pid):
    """CPU seconds of a process and its live descendants."""
    return sum(cpu_seconds(each) for each in [pid] + descendants(pid))

