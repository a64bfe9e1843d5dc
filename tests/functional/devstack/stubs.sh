#!/bin/bash
#
# The only devstack functions the harness replaces, sourced after devstack's
# own libraries: those that install packages, and ``sudo``. Everything
# else the plugin calls is devstack's own code (functions, stackrc,
# lib/*). Processes are not started: devstack's systemd calls reach the
# ``systemctl`` stand-in of bin/, the Keystone calls the ``openstack``
# stand-in, the HTTP checks the ``curl`` stand-in.
#
# Each replaced call appends one line to $STUB_RECORD: its name and its
# arguments separated by the unit separator (0x1f).
#
# Needs: STUB_RECORD, STUB_ROOT.

# shellcheck disable=SC2034

function _record {
    local IFS=$'\x1f'
    printf '%s\n' "$*" >> "$STUB_RECORD"
}

# _stub_inside_root ARG... - every absolute path among ARGs is under
# STUB_ROOT (the harness's own directory). An argument with a space, a
# newline or a regular expression's ``^`` or ``[`` (sed's and grep's
# scripts) is no path.
function _stub_inside_root {
    local arg
    for arg in "$@"; do
        if [[ "$arg" != /* || "$arg" == *[[:space:]^[]* ]]; then
            continue
        fi
        if [[ "$arg/" != "$STUB_ROOT"/* ]]; then
            return 1
        fi
    done
    return 0
}

# sudo - file commands on the harness's own files run, unprivileged;
# anything else (systemctl, a2ensite, package managers, files outside the
# harness) is recorded only.
function sudo {
    case "$1" in
        install|mkdir|rm|tee|cp|mv|chown|chmod|touch|ln|sed|grep|cat)
            if _stub_inside_root "${@:2}"; then
                "$@"
                return
            fi
            ;;
    esac
    _record sudo "$@"
    if [[ "$1" == tee ]]; then
        # Swallow what would have been written elsewhere.
        cat > /dev/null
    fi
    return 0
}

# Package installation
function install_package {
    _record install_package "$@"
}

function pip_install {
    _record pip_install "$@"
}

function setup_develop {
    _record setup_develop "$@"
}
