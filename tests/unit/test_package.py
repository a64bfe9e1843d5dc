"""What importing the package does to the process."""

import subprocess
import sys


def _run(code):
    return subprocess.run([sys.executable, '-c', code], check=True,
                          capture_output=True, text=True).stdout.split()


def test_oslo_service_runs_on_threads():
    assert _run(
        'import stacktach_ng\n'
        'import oslo_messaging\n'
        'from oslo_service import backend, service\n'
        'print(backend.get_backend_type().value)\n') == ['threading']


def test_the_store_path_loads_no_green_threads():
    # The store processes import the pipeline and nothing of oslo.service:
    # no backend, so no eventlet either (memory and start-up time).
    assert _run(
        'import sys\n'
        'import stacktach_ng.pipeline.runner\n'
        'import stacktach_ng.listener.store_process\n'
        'print("eventlet" in sys.modules, "oslo_service.service" in '
        'sys.modules)\n') == ['False', 'False']
