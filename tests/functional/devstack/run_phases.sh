#!/bin/bash
#
# run_phases.sh STEP... - run devstack plugins through phases the way
# stack.sh, unstack.sh and clean.sh do, with the stand-ins of stubs.sh.
#
# STUB_PLUGINS lists the plugins in enable_plugin order, as
# "name=directory name=directory". Each STEP is MODE or MODE:PHASE
# (stack:install, stack:post-config, stack:extra, stack:test-config,
# unstack, clean). Like devstack, every plugin's settings are sourced
# once, then each plugin's plugin.sh once per step, in plugin order, all
# in one shell with errexit set.

set -o errexit

# shellcheck source=tests/functional/devstack/stubs.sh
source "$(dirname "${BASH_SOURCE[0]}")/stubs.sh"

declare -A GITDIR
DEVSTACK_PLUGINS=""
for entry in $STUB_PLUGINS; do
    GITDIR[${entry%%=*}]=${entry#*=}
    DEVSTACK_PLUGINS+="${DEVSTACK_PLUGINS:+,}${entry%%=*}"
done

for plugin in ${DEVSTACK_PLUGINS//,/ }; do
    # shellcheck disable=SC1090
    source "${GITDIR[$plugin]}/devstack/settings"
done

for step in "$@"; do
    mode=${step%%:*}
    phase=""
    if [[ "$step" == *:* ]]; then
        phase=${step#*:}
    fi
    _record phase "$mode" "$phase"
    for plugin in ${DEVSTACK_PLUGINS//,/ }; do
        # shellcheck disable=SC1090
        source "${GITDIR[$plugin]}/devstack/plugin.sh" "$mode" "$phase"
    done
done
_record finished
