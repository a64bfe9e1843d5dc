"""Memory and CPU of a process tree, read from /proc."""

import os
import subprocess
import sys

from tests.perf import proc_stats


def test_figures_of_this_process():
    pid = os.getpid()
    assert proc_stats.rss_kib(pid) > 1024
    assert 0 < proc_stats.pss_kib(pid) <= proc_stats.rss_kib(pid)
    assert proc_stats.cpu_seconds(pid) > 0


def test_a_gone_process_has_no_figures():
    child = subprocess.Popen([sys.executable, '-c', 'pass'])
    child.wait()
    assert proc_stats.rss_kib(child.pid) is None
    assert proc_stats.pss_kib(child.pid) is None
    assert proc_stats.cpu_seconds(child.pid) == 0.0


def test_descendants_include_grandchildren():
    script = ('import subprocess, sys; '
              'p = subprocess.Popen([sys.executable, "-c", '
              '"import time; time.sleep(30)"]); '
              'print(p.pid, flush=True); p.wait()')
    child = subprocess.Popen([sys.executable, '-c', script],
                             stdout=subprocess.PIPE, text=True)
    try:
        grandchild = int(child.stdout.readline())
        assert proc_stats.children(os.getpid()).count(child.pid) == 1
        below = proc_stats.descendants(os.getpid())
        assert child.pid in below and grandchild in below
        assert (proc_stats.tree_cpu_seconds(child.pid)
                >= proc_stats.cpu_seconds(child.pid))
    finally:
        for pid in proc_stats.descendants(child.pid):
            os.kill(pid, 9)
        child.kill()
        child.wait()
