#!/bin/bash
#
# stacktach-ng devstack plugin
#
# To enable stacktach-ng in devstack add this to the [[local|localrc]]
# section of local.conf:
#
#   enable_plugin stacktach-ng https://opendev.org/openstack/stacktach-ng
#
# devstack/settings lists the variables that can be set there, and
# devstack/README.rst what each phase does.

# Save trace setting
_STACKTACH_PLUGIN_XTRACE=$(set +o | grep xtrace)
set -o xtrace

# shellcheck source=devstack/lib/stacktach-ng
source "$STACKTACH_DIR/devstack/lib/stacktach-ng"

if is_service_enabled stacktach && \
        [[ "$STACKTACH_PRODUCERS_ONLY" == "True" ]]; then
    # A producers-only node (a compute subnode): the local services send
    # to the stacktach topic; nothing of stacktach-ng runs here.
    if [[ "$STACKTACH_CONFIGURE_PRODUCERS" == "True" ]]; then
        if [[ "$1" == "stack" && "$2" == "post-config" ]]; then
            echo_summary "Sending notifications to stacktach-ng"
            stacktach_configure_producers
        elif [[ "$1" == "stack" && "$2" == "extra" ]] && \
                is_service_enabled heat; then
            stacktach_configure_heat extra
        fi
    fi

elif is_service_enabled stacktach; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing stacktach-ng"
        install_stacktach

    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring stacktach-ng"
        configure_stacktach
        create_stacktach_accounts
        if [[ "$STACKTACH_CONFIGURE_PRODUCERS" == "True" ]]; then
            echo_summary "Sending notifications to stacktach-ng"
            stacktach_configure_producers
        fi

    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        if [[ "$STACKTACH_CONFIGURE_PRODUCERS" == "True" ]] && \
                is_service_enabled heat; then
            stacktach_configure_heat extra
        fi
        echo_summary "Initializing stacktach-ng"
        init_stacktach
        echo_summary "Starting stacktach-ng"
        start_stacktach

    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        echo_summary "Checking the stacktach-ng CLI"
        check_stacktach_cli
    fi

    if [[ "$1" == "unstack" ]]; then
        echo_summary "Stopping stacktach-ng"
        stop_stacktach
    fi

    if [[ "$1" == "clean" ]]; then
        echo_summary "Cleaning stacktach-ng"
        cleanup_stacktach
    fi
fi

# Restore xtrace
$_STACKTACH_PLUGIN_XTRACE
