"""Make the test virt driver importable as ``nova.virt.failing_fake_driver``.

nova-compute imports ``compute_driver`` under ``nova.virt.`` only. Python
imports this module at start-up because this directory is on the cloud
processes' ``PYTHONPATH``; the finder below maps that one module name to
``failing_fake_driver.py`` here, without importing nova early.
"""

import importlib.abc
import importlib.util
import os
import sys

_NAME = 'nova.virt.failing_fake_driver'
_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     'failing_fake_driver.py')


class _DriverFinder(importlib.abc.MetaPathFinder):

    def find_spec(self, fullname, path, target=None):
        if fullname == _NAME:
            return importlib.util.spec_from_file_location(fullname, _PATH)
        return None


sys.meta_path.insert(0, _DriverFinder())
