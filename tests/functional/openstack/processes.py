"""The cloud's processes: each in a process group of its own, with a log.

A gunicorn master and its workers share one group, so ``pause()``
(SIGSTOP) and ``resume()`` (SIGCONT) freeze and thaw a whole service,
and ``stop()`` ends it whole.
"""

import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class ProcessFailed(RuntimeError):
    pass


class Service:

    def __init__(self, name, argv, env, logdir, cwd=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = os.path.join(logdir, '%s.log' % name)
        self.cwd = cwd
        self.process = None

    def start(self):
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.cwd,
                start_new_session=True)
        return self

    def check_alive(self):
        if self.process is None or self.process.poll() is not None:
            raise ProcessFailed('%s exited: %s' % (self.name,
                                                   self.log_tail()))

    def _signal_group(self, signum):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signum)

    def pause(self):
        self._signal_group(signal.SIGSTOP)

    def resume(self):
        self._signal_group(signal.SIGCONT)

    def terminate(self):
        """Ask the service to stop (see ``stop``) without waiting."""
        self.resume()
        self._signal_group(signal.SIGTERM)

    def stop(self, timeout=8):
        if self.process is None:
            return
        self.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(10)
        # Workers a master left behind.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process = None

    def log_tail(self, size=4000):
        try:
            with open(self.log_path, 'rb') as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - size))
                return f.read().decode(errors='replace')
        except OSError:
            return ''


def run(argv, env, logdir, name, timeout=600):
    """Run a one-shot command; its output goes to ``<name>.log``."""
    path = os.path.join(logdir, '%s.log' % name)
    with open(path, 'ab') as log:
        log.write(('$ %s\n' % ' '.join(argv)).encode())
        log.flush()
        result = subprocess.run(argv, env=env, stdout=log,
                                stderr=subprocess.STDOUT, timeout=timeout)
    if result.returncode:
        with open(path, 'rb') as f:
            tail = f.read()[-3000:].decode(errors='replace')
        raise ProcessFailed('%s failed (exit %d): %s' % (
            ' '.join(argv[:3]), result.returncode, tail))


def wait_until(predicate, timeout, what, interval=0.5, alive=()):
    """Call ``predicate`` until it returns a true value, which is
    returned; a service of ``alive`` that died ends the wait early."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        for service in alive:
            service.check_alive()
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last_error = e
        time.sleep(interval)
    raise TimeoutError('%s within %ds (last error: %r)' % (what, timeout,
                                                          last_error))
