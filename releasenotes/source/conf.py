# Sphinx configuration of the stacktach-ng release notes (reno).

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

openstackdocs_repo_name = 'openstack/stacktach-ng'
openstackdocs_bug_project = 'stacktach-ng'
openstackdocs_bug_tag = 'releasenotes'
openstackdocs_auto_name = False

project = 'stacktach-ng Release Notes'
copyright = 'stacktach-ng developers'

source_suffix = '.rst'
master_doc = 'index'
exclude_patterns = ['_build']
pygments_style = 'native'

html_theme = 'openstackdocs'
html_static_path = ['_static']
locale_dirs = ['locale/']
