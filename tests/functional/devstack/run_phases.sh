#!/bin/bash
#
# run_phases.sh STEP... - run the devstack plugins of a local.conf through
# phases, in devstack's own code, the way stack.sh, unstack.sh and clean.sh
# do.
#
# STUB_TOP_DIR is a devstack tree (devstack's files and a local.conf).
# Like stack.sh, this sources devstack's functions, extracts the localrc
# section of local.conf, sources stackrc and devstack's lib/ files, and
# runs devstack's run_phase; the plugins come from local.conf's
# enable_plugin lines (their checkouts are already in $DEST). stubs.sh
# replaces the package-installing functions and sudo; bin/ holds the
# stand-ins of systemctl, openstack, curl and uwsgi.
#
# Each STEP is MODE or MODE:PHASE (stack:install, stack:post-config,
# stack:extra, stack:test-config, unstack, clean). Around post-config,
# as stack.sh: devstack's configure_neutron_nova runs as an async job
# started before the phase and waited for after it, then devstack's
# start_nova_compute writes nova-cpu.conf where n-cpu is enabled; not
# with STUB_PLUGINS_ONLY=1 (the plugins' phases alone).
#
# Config files live under STUB_ETC instead of /etc.

# shellcheck disable=SC2034
# (SC2034: the globals set here are read by devstack and the plugins.)

set -o errexit

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$HARNESS_DIR/bin:$PATH"

TOP_DIR=$STUB_TOP_DIR
# shellcheck source=/dev/null
source "$TOP_DIR/functions"
# shellcheck source=/dev/null
source "$TOP_DIR/lib/stack"
GetDistro
rm -f "$TOP_DIR/.localrc.auto"
extract_localrc_section "$TOP_DIR/local.conf" "$TOP_DIR/localrc" \
    "$TOP_DIR/.localrc.auto"
# shellcheck source=/dev/null
source "$TOP_DIR/stackrc"

# shellcheck source=tests/functional/devstack/stubs.sh
source "$HARNESS_DIR/stubs.sh"

# shellcheck source=/dev/null
source "$TOP_DIR/lib/database"
# shellcheck source=/dev/null
source "$TOP_DIR/lib/rpc_backend"
run_phase override_defaults
for lib in apache tls infra libraries lvm horizon keystone glance nova \
        placement cinder swift neutron; do
    # shellcheck source=/dev/null
    source "$TOP_DIR/lib/$lib"
done

# The configuration files of this devstack, under the harness's root.
NOVA_CONF_DIR=$STUB_ETC/nova
NOVA_CONF=$NOVA_CONF_DIR/nova.conf
NOVA_CPU_CONF=$NOVA_CONF_DIR/nova-cpu.conf
CINDER_CONF_DIR=$STUB_ETC/cinder
CINDER_CONF=$CINDER_CONF_DIR/cinder.conf
NEUTRON_CONF_DIR=$STUB_ETC/neutron
NEUTRON_CONF=$NEUTRON_CONF_DIR/neutron.conf
GLANCE_CONF_DIR=$STUB_ETC/glance
GLANCE_API_CONF=$GLANCE_CONF_DIR/glance-api.conf
KEYSTONE_CONF_DIR=$STUB_ETC/keystone
KEYSTONE_CONF=$KEYSTONE_CONF_DIR/keystone.conf

run_phase source
if initialize_database_backends; then
    define_database_baseurl
fi
async_init

for step in "$@"; do
    mode=${step%%:*}
    phase=""
    if [[ "$step" == *:* ]]; then
        phase=${step#*:}
    fi
    _record phase "$mode" "$phase"
    stack_sh=""
    if [[ "$step" == stack:post-config && \
            "${STUB_PLUGINS_ONLY:-}" != 1 ]]; then
        stack_sh=1
    fi
    if [[ -n "$stack_sh" ]] && is_service_enabled nova; then
        async_runfunc configure_neutron_nova
    fi
    run_phase "$mode" "$phase"
    if [[ -n "$stack_sh" ]]; then
        merge_config_group "$TOP_DIR/local.conf" post-config
        if is_service_enabled nova; then
            # stack.sh's own wait: the job must still be there to collect.
            async_wait configure_neutron_nova > "$STUB_ROOT/async_wait.log"
            _record async_wait configure_neutron_nova \
                "$(tr '\n' ' ' < "$STUB_ROOT/async_wait.log")"
        fi
        if is_service_enabled n-cpu; then
            start_nova_compute
        fi
    fi
done
_record finished
