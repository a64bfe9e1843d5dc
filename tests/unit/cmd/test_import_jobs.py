"""``stacktach-ng-manage import --jobs``: what the command line accepts."""

import os

import pytest

from stacktach_ng.cmd import manage


def _import(*args):
    # The file need not exist: the arguments are checked before it is.
    return manage.main(['stacktach-ng-manage', '--config-file', os.devnull,
                        'import', 'absent.jsonl', *args])


@pytest.mark.parametrize('value', ['0', '-2', 'two', '1.5', ''])
def test_jobs_below_one_or_not_a_number_are_refused(value, capsys):
    with pytest.raises(SystemExit) as error:
        _import('--jobs', value)
    # argparse's exit code for a usage error, before anything is read.
    assert error.value.code == 2
    err = capsys.readouterr().err
    assert 'argument --jobs: not a positive integer: %r' % value in err


@pytest.mark.parametrize('args, jobs', [((), 1), (('--jobs', '1'), 1),
                                        (('--jobs', '3'), 3)])
def test_jobs_are_parsed(args, jobs, monkeypatch):
    seen = {}

    def fake_import(conf, parsed):
        seen['jobs'] = parsed.jobs
        return 0

    monkeypatch.setattr(manage.ingest, 'do_import', fake_import)
    # The sub-command is built again at each main(): it takes the fake.
    assert _import(*args) == 0
    assert seen == {'jobs': jobs}


def test_the_help_says_what_jobs_do_and_when_they_pay(capsys):
    with pytest.raises(SystemExit):
        manage.main(['stacktach-ng-manage', 'import', '--help'])
    out = ' '.join(capsys.readouterr().out.split())
    assert '--jobs N' in out
    assert 'Processes that import at once (default: 1)' in out
    assert 'this process reads the files and hands out parts' in out
    assert 'SQLite stores one batch at a time' in out
