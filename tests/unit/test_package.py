"""What importing the package does to the process."""

import subprocess
import sys

_SERVER_LIBRARIES = ('oslo_service', 'oslo_messaging', 'oslo_db',
                     'sqlalchemy', 'pecan')


def _run(code):
    # A new interpreter: this one has the tests' imports and backend.
    return subprocess.run([sys.executable, '-c', code], check=True,
                          capture_output=True, text=True).stdout.split()


def test_importing_the_package_selects_no_backend():
    assert _run(
        'import sys\n'
        'import stacktach_ng\n'
        'print([m for m in sys.modules if m.startswith("oslo")])\n'
        ) == ['[]']


def test_the_client_pulls_in_no_server_library():
    assert _run(
        'import sys\n'
        'import stacktach_ng.client\n'
        'import stacktach_ng.client.osc.plugin\n'
        'print(len([m for m in sys.modules if m.split(".")[0] in %r]))\n'
        % (_SERVER_LIBRARIES,)) == ['0']


def test_commands_run_oslo_service_on_threads():
    assert _run(
        'import stacktach_ng.cmd.listener\n'
        'from oslo_service import backend\n'
        'print(backend.get_backend_type().value)\n') == ['threading']


def test_the_wsgi_application_runs_oslo_service_on_threads():
    # Importing the application itself needs a configuration; the
    # package's selection is what matters here.
    assert _run(
        'import stacktach_ng.wsgi\n'
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
