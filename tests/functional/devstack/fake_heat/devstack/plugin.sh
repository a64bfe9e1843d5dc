#!/bin/bash
#
# A stand-in for openstack/heat's devstack plugin, doing to heat.conf what
# the real one does: post-config deletes the config directory and writes
# heat.conf afresh (messagingv2 driver, no topics); extra starts
# heat-engine, recorded here with the topics heat.conf has at that moment.

function is_heat_enabled {
    [[ ,${ENABLED_SERVICES} =~ ,"h-" ]] && return 0
    return 1
}

if is_heat_enabled; then
    if [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        rm -rf "$HEAT_CONF_DIR"
        mkdir -p "$HEAT_CONF_DIR"
        iniset_rpc_backend heat "$HEAT_CONF"
        iniset "$HEAT_CONF" oslo_messaging_notifications driver messagingv2
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        _record heat_started \
            "$(iniget "$HEAT_CONF" oslo_messaging_notifications topics)"
    fi
fi
