"""Memory and CPU of a process tree, read from /proc."""

import os
import subprocess
import sys

from stacktach_ng.bench import procs


def test_figures_of_this_process():
    pid = os.getpid()
    assert procs.rss_kib(pid) > 1024
    assert 0 < procs.pss_kib(pid) <= procs.rss_kib(pid)
    assert procs.cpu_seconds(pid) > 0


def test_a_gone_process_has_no_figures():
    child = subprocess.Popen([sys.executable, '-c', 'pass'])
    child.wait()
    assert procs.rss_kib(child.pid) is None
    assert procs.pss_kib(child.pid) is None
    assert procs.cpu_seconds(child.pid) == 0.0


def test_descendants_include_grandchildren():
    script = ('import subprocess, sys; '
              'p = subprocess.Popen([sys.executable, "-c", '
              '"import time; time.sleep(30)"]); '
              'print(p.pid, flush=True); p.wait()')
    child = subprocess.Popen([sys.executable, '-c', script],
                             stdout=subprocess.PIPE, text=True)
    try:
        grandchild = int(child.stdout.readline())
        assert procs.children(os.getpid()).count(child.pid) == 1
        below = procs.descendants(os.getpid())
        assert child.pid in below and grandchild in below
        assert procs.tree_cpu_seconds(child.pid) >= procs.cpu_seconds(
            child.pid)
    finally:
        for pid in procs.descendants(child.pid):
            os.kill(pid, 9)
        child.kill()
        child.wait()
