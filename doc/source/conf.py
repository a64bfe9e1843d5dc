import os
import sys

# Sphinx configuration of the stacktach-ng documentation.

# The configuration reference is generated from the options themselves
# (oslo_config.sphinxext), and a sample configuration file is written to
# _static/ at build time (oslo_config.sphinxconfiggen), so both are always
# those of the code being documented.

# Select oslo.service's threading backend, as every entry point does, before
# the option listing imports oslo.messaging, which would select the eventlet
# one.
from stacktach_ng.common import service_backend  # noqa: E402

service_backend.use_threads()

# The project's own extensions (doc/source/_exts).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '_exts'))

extensions = [
    'openapi_reference',
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
]

# oslo_config.sphinxconfiggen: writes _static/stacktach-ng.conf.sample.
config_generator_config_file = (
    '../../etc/stacktach-ng/stacktach-ng-config-generator.conf')
sample_config_basename = '_static/stacktach-ng'

# openstackdocstheme
openstackdocs_repo_name = 'openstack/stacktach-ng'
openstackdocs_bug_project = 'stacktach-ng'
openstackdocs_bug_tag = 'doc'
openstackdocs_auto_name = False

project = 'stacktach-ng'
copyright = 'stacktach-ng developers'

source_suffix = '.rst'
master_doc = 'index'
exclude_patterns = ['_build']
pygments_style = 'native'

html_theme = 'openstackdocs'
html_static_path = ['_static']
