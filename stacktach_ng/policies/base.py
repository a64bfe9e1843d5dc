"""Base rules that the rules of each resource are built from.

Roles are Keystone's default roles, where ``admin`` implies ``member``
which implies ``reader`` (a token lists the implied roles too):

* ``admin`` (any scope) and a ``reader`` with system scope read every
  project's data (``rule:cloud_reader``);
* a ``reader`` or ``member`` of a project reads that project's data only
  (``rule:project_reader``).
"""

from oslo_policy import policy

ADMIN = 'role:admin'
SYSTEM_READER = 'role:reader and system_scope:all'
PROJECT_READER = 'role:reader and project_id:%(project_id)s'

CLOUD_READER = 'rule:cloud_reader'
PROJECT_OR_CLOUD_READER = 'rule:cloud_reader or rule:project_reader'

# Tokens of these scopes may call the API at all; a domain-scoped token
# has no project and no system, so it reads nothing.
SCOPES = ['system', 'project']

ALL_PROJECTS = 'stacktach:all_projects'

rules = [
    policy.RuleDefault(
        name='admin',
        check_str=ADMIN,
        description='An administrator of the cloud.'),
    policy.RuleDefault(
        name='system_reader',
        check_str=SYSTEM_READER,
        description='A reader with a system-scoped token.'),
    policy.RuleDefault(
        name='cloud_reader',
        check_str='rule:admin or rule:system_reader',
        description='Who may read the data of every project.'),
    policy.RuleDefault(
        name='project_reader',
        check_str=PROJECT_READER,
        description='A reader (or member) of the project that owns the '
                    'data.'),
    policy.DocumentedRuleDefault(
        name=ALL_PROJECTS,
        check_str=CLOUD_READER,
        scope_types=SCOPES,
        description='Read the data of every project, or of a project '
                    'other than the one of the token: the ``all_projects`` '
                    'and ``project_id`` query parameters, and any id on a '
                    'show endpoint whatever its project. Without it a '
                    'caller sees only the project of its token.',
        operations=[{'path': '/v1/*?all_projects=true', 'method': 'GET'},
                    {'path': '/v1/*?project_id={project_id}',
                     'method': 'GET'}]),
]


def list_rules():
    return rules
