"""``python -m tests.functional.openstack --capture DIR``

Bring up the cloud, play the scenario, write each step's notifications
(``<step>.jsonl``) and Nova's records (``<step>.nova.json``) to DIR, and
tear the cloud down. ``--workdir`` keeps the cloud's files and logs
(a temporary directory otherwise).
"""

import argparse
import sys
import tempfile
import time

from tests.functional.openstack import capture as capture_mod
from tests.functional.openstack import cloud as cloud_mod
from tests.functional.openstack import sanitize
from tests.functional.openstack import scenario
from tests.functional.openstack import venvs


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m tests.functional.openstack')
    parser.add_argument('--capture', required=True, metavar='DIR')
    parser.add_argument('--workdir')
    parser.add_argument('--steps', default=','.join(scenario.STEPS))
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix='openstack-cloud-')
    started = time.monotonic()
    cloud = cloud_mod.Cloud(workdir).prepare()
    topics, exchanges = capture_mod.listener_targets(
        cloud.paths['stacktach_plugin'])
    capture = capture_mod.Capture(cloud.infra.transport_url, topics,
                                  exchanges).start()
    try:
        cloud.start()
        print('cloud up in %.0fs' % (time.monotonic() - started), flush=True)
        run = scenario.Run(cloud, capture)
        sanitizer = sanitize.Sanitizer(venvs.REPO_ROOT, venvs.cache_dir(),
                                       cloud.workdir)

        def on_step(name, step):
            scenario.write_step(args.capture, name, step, sanitizer)
            print('%s: %d notifications (%.0fs)' % (
                name, len(step['notifications']),
                time.monotonic() - started), flush=True)

        run.play(args.steps.split(','), on_step=on_step)
        scenario.write_step(args.capture, 'setup', run.steps['setup'],
                            sanitizer)
    finally:
        capture.stop()
        cloud.stop()
    print('done in %.0fs; cloud files in %s' % (time.monotonic() - started,
                                               workdir))
    return 0


if __name__ == '__main__':
    sys.exit(main())
