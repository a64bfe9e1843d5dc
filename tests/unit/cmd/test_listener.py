"""``stacktach-ng-listener`` refuses to start on a schema it cannot use."""

import pytest

from stacktach_ng.cmd import listener as listener_cmd
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base


def _config(tmp_path, url):
    path = tmp_path / 'stacktach-ng.conf'
    path.write_text('[database]\nconnection = %s\n' % url)
    return str(path)


def test_refuses_an_empty_database(tmp_path, capsys):
    url = 'sqlite:///%s' % (tmp_path / 'empty.sqlite')
    code = listener_cmd.main(['stacktach-ng-listener', '--config-file',
                              _config(tmp_path, url)])
    assert code == 1
    error = capsys.readouterr().err
    assert error.startswith('stacktach-ng-listener: the database schema is '
                            'at revision <empty>')
    assert 'stacktach-ng-manage db upgrade' in error
    assert 'Traceback' not in error


def test_refuses_an_old_schema(tmp_path, capsys):
    url = 'sqlite:///%s' % (tmp_path / 'old.sqlite')
    database = db_api.Database(base.make_conf(url))
    migration.upgrade(database, '0001')
    database.dispose()
    code = listener_cmd.main(['stacktach-ng-listener', '--config-file',
                              _config(tmp_path, url)])
    assert code == 1
    assert 'at revision 0001 but this version needs %s' % (
        migration.head_revision()) in capsys.readouterr().err


def test_schema_at_head_passes_the_check(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'head.sqlite')
    conf = base.make_conf(url)
    database = db_api.Database(conf)
    migration.upgrade(database)
    database.dispose()
    assert migration.check_schema(conf) is None


def test_unknown_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        listener_cmd.main(['stacktach-ng-listener', '--no-such-option'])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert 'unrecognized arguments: --no-such-option' in error
    assert 'Traceback' not in error
