#!/bin/bash
#
# Stand-ins for the devstack functions the stacktach-ng plugin calls.
#
# * ini functions edit real files, with devstack's semantics (ini.py);
# * functions that would talk to Keystone, a database, systemd, Apache or
#   pip append one line to $STUB_RECORD instead: the function name and
#   its arguments separated by the unit separator (0x1f);
# * functions with logic the plugin depends on (is_service_enabled,
#   write_uwsgi_config, iniset_rpc_backend, ...) keep that logic.
#
# Needs: STUB_RECORD, STUB_PYTHON, STUB_INI, STUB_BIN_DIR, STUB_DB_DIR.

# shellcheck disable=SC2034

function _record {
    local IFS=$'\x1f'
    printf '%s\n' "$*" >> "$STUB_RECORD"
}

function _ini {
    "$STUB_PYTHON" -S -E "$STUB_INI" "$@"
}

# Messages and errors
function echo_summary {
    echo "$@"
}

function warn {
    local exitcode=$?
    _record warn "$2"
    echo "[WARNING] $2"
    return $exitcode
}

function die {
    _record die "$2"
    echo "[ERROR] $2" >&2
    exit 1
}

function deprecated {
    _record deprecated "$1"
}

function trueorfalse {
    local default=$1
    local testval=${!2:-}
    case "$testval" in
        "1" | [yY]es | "YES" | [tT]rue | "TRUE" ) echo "True" ;;
        "0" | [nN]o | "NO" | [fF]alse | "FALSE" ) echo "False" ;;
        * ) echo "$default" ;;
    esac
}

# Plugins and services
function define_plugin {
    _record define_plugin "$1"
}

function is_service_enabled {
    local enabled=1
    local service
    # Word splitting wanted: callers pass "$DATABASE_BACKENDS".
    # shellcheck disable=SC2068
    for service in $@; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && enabled=0
        if type "is_${service}_enabled" > /dev/null 2>&1; then
            "is_${service}_enabled" && enabled=0
        fi
        [[ ${service} == "nova" && ,${ENABLED_SERVICES} =~ ,"n-" ]] && \
            enabled=0
        [[ ${service} == "glance" && ,${ENABLED_SERVICES} =~ ,"g-" ]] && \
            enabled=0
        [[ ${service} == "neutron" && ,${ENABLED_SERVICES} =~ ,"q-" ]] && \
            enabled=0
    done
    return $enabled
}

function enable_service {
    local service
    for service in "$@"; do
        if [[ ,${DISABLED_SERVICES}, =~ ,${service}, ]]; then
            continue
        fi
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES+=",$service"
        fi
    done
}

# ini files
function iniset {
    if [[ "$1" == "-sudo" ]]; then
        shift
    fi
    if [[ -z "$2" || -z "$3" ]]; then
        return 0
    fi
    _record iniset "$1" "$2" "$3" "$4"
    _ini set "$1" "$2" "$3" "$4"
}

function iniget {
    _ini get "$1" "$2" "$3"
}

function inidelete {
    if [[ "$1" == "-sudo" ]]; then
        shift
    fi
    _ini delete "$1" "$2" "$3"
}

function ini_has_option {
    if [[ "$1" == "-sudo" ]]; then
        shift
    fi
    _ini has "$1" "$2" "$3"
}

# Messaging and database
function get_transport_url {
    echo "rabbit://stackrabbit:secretrabbit@$RABBIT_HOST:5672/$1"
}

function get_notification_url {
    echo "rabbit://stackrabbit:secretrabbit@$RABBIT_HOST:5672/$1"
}

function iniset_rpc_backend {
    local file=$2
    local section=${3:-DEFAULT}
    iniset "$file" "$section" transport_url "$(get_transport_url "$4")"
}

# A SQLite file instead of devstack's MySQL URL, so that the plugin's own
# ``stacktach-ng-manage ... db upgrade`` really runs on what it wrote.
function database_connection_url {
    echo "sqlite:///$STUB_DB_DIR/$1.sqlite"
}

function recreate_database {
    _record recreate_database "$@"
}

function mysql {
    _record mysql "$@"
}

function psql {
    _record psql "$@"
}

# Keystone
function configure_keystoneauth {
    local conf_file=$1
    local admin_user=$2
    local section=$3
    iniset "$conf_file" "$section" auth_type password
    iniset "$conf_file" "$section" interface public
    iniset "$conf_file" "$section" auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$conf_file" "$section" username "$admin_user"
    iniset "$conf_file" "$section" password "$SERVICE_PASSWORD"
    iniset "$conf_file" "$section" user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf_file" "$section" project_name "$SERVICE_PROJECT_NAME"
    iniset "$conf_file" "$section" project_domain_name \
        "$SERVICE_DOMAIN_NAME"
}

function configure_keystone_authtoken_middleware {
    local conf_file=$1
    local section=${3:-keystone_authtoken}
    configure_keystoneauth "$conf_file" "$2" "$section"
    iniset "$conf_file" "$section" www_authenticate_uri \
        "$KEYSTONE_SERVICE_URI"
    iniset "$conf_file" "$section" memcached_servers "$MEMCACHE_SERVERS"
}

function create_service_user {
    _record create_service_user "$@"
}

function get_or_create_service {
    _record get_or_create_service "$@"
    echo "service-id-$2"
}

function get_or_create_endpoint {
    _record get_or_create_endpoint "$@"
    echo "endpoint-id-$1"
}

function openstack {
    _record openstack "$@"
    echo '{}'
}

# Python packages
function get_python_exec_prefix {
    echo "$STUB_BIN_DIR"
}

function setup_develop {
    _record setup_develop "$@"
}

function pip_install {
    _record pip_install "$@"
}

function stack_install_service {
    "install_$1"
}

# Processes, systemd, Apache
function which {
    echo "/usr/local/bin/$1"
}

function sudo {
    "$@"
}

function run_process {
    if is_service_enabled "$1"; then
        _record run_process "$@"
    fi
}

function stop_process {
    if is_service_enabled "$1"; then
        _record stop_process "$@"
    fi
}

function restart_service {
    _record restart_service "$@"
}

function wait_for_service {
    _record wait_for_service "$@"
}

function async_wait {
    _record async_wait "$@"
}

function setup_logging {
    _record setup_logging "$@"
}

# write_uwsgi_config conf wsgi url http name: the part of devstack's
# lib/apache that decides the file's content; Apache is recorded.
function write_uwsgi_config {
    local conf=$1
    local wsgi=$2
    local url=$3
    local http=$4
    local name=$5
    _record write_uwsgi_config "$@"
    rm -rf "$conf"
    if [[ "$wsgi" =~ ^[a-zA-Z0-9_.]+:[a-zA-Z0-9_]+$ ]]; then
        iniset "$conf" uwsgi module "$wsgi"
    else
        deprecated "Configuring uWSGI with a WSGI file is deprecated"
        iniset "$conf" uwsgi wsgi-file "$wsgi"
    fi
    iniset "$conf" uwsgi processes "$API_WORKERS"
    iniset "$conf" uwsgi master true
    if [[ -n "$http" ]]; then
        iniset "$conf" uwsgi http "$http"
    else
        iniset "$conf" uwsgi socket "/var/run/uwsgi/${name}.socket"
        _record apache_proxy_pass "$url" "$name"
    fi
}

function remove_uwsgi_config {
    _record remove_uwsgi_config "$@"
    rm -rf "$1"
}

# The is_<service>_enabled functions of devstack's lib/<service>
function is_keystone_enabled {
    [[ ,${DISABLED_SERVICES} =~ ,"keystone" ]] && return 1
    [[ ,${ENABLED_SERVICES}, =~ ,"key", ]] && return 0
    return 1
}

function is_nova_enabled {
    [[ ,${DISABLED_SERVICES} =~ ,"nova" ]] && return 1
    [[ ,${ENABLED_SERVICES} =~ ,"n-" ]] && return 0
    return 1
}

function is_glance_enabled {
    [[ ,${DISABLED_SERVICES} =~ ,"glance" ]] && return 1
    [[ ,${ENABLED_SERVICES} =~ ,"g-" ]] && return 0
    return 1
}

function is_cinder_enabled {
    [[ ,${DISABLED_SERVICES} =~ ,"cinder" ]] && return 1
    [[ ,${ENABLED_SERVICES} =~ ,"c-" ]] && return 0
    return 1
}

function is_neutron_enabled {
    [[ ,${DISABLED_SERVICES} =~ ,"neutron" ]] && return 1
    [[ ,${ENABLED_SERVICES} =~ ,"neutron-" ||
        ,${ENABLED_SERVICES} =~ ,"q-" ]] && return 0
    return 1
}

# lib/nova
function conductor_conf {
    echo "${NOVA_CONF_DIR}/nova_cell${1}.conf"
}
