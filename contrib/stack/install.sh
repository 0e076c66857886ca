#!/usr/bin/env bash
# Install and start what Hostmaster needs on a Debian 12 machine without systemd.
#
#   contrib/stack/install.sh run    packages and daemons for `make run` (MariaDB, system Apache)
#   contrib/stack/install.sh test   packages for `make test` and MariaDB; the tests start their
#                                   own private Apache, nginx and php-fpm instances
#
# Idempotent: it installs only missing packages and starts only daemons that are not running,
# printing one line per thing it checked or did. As a non-root user it changes nothing: it says
# what is missing and carries on, so that `make run` still serves with null services.
set -euo pipefail
shopt -s inherit_errexit

mode="${1:-run}"
case "$mode" in
    run | test) ;;
    *)
        echo "install.sh: unknown mode '$mode'; use 'run' or 'test'." >&2
        exit 2
        ;;
esac

run_packages=(
    mariadb-server mariadb-client apache2 libapache2-mod-php php-cli php-mysql php-gd php-xml
    php-mbstring php-curl rsync ca-certificates sudo
)
# libnss3-tools: certutil, which puts a test CA's root into a browser profile's trust store.
test_packages=(nginx php-fpm php-sqlite3 openssh-server openssh-client wordpress iproute2 chromium pebble
               libnss3-tools)

say() { echo "install.sh: $*"; }

project="$(cd "$(dirname "$0")/../.." && pwd)"
aegir_root="${AEGIR_ROOT:-/var/aegir}"

is_root() { [ "$(id -u)" -eq 0 ]; }

package_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# As root venv.sh uses Debian's python3 (the aegir user must be able to run it). Otherwise the
# venv module of the python3 in PATH comes with it (e.g. pyenv) or from Debian's python3-venv.
venv_package() {
    if is_root; then
        echo "python3 python3-venv"
        return
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        echo "python3 python3-venv"
    elif ! python3 -m venv --help >/dev/null 2>&1; then
        if [ "$(python3 -c 'import sys; print(sys.base_prefix)')" = /usr ]; then
            echo python3-venv
        else
            say "$(command -v python3) has no venv module and is not Debian's python3:" \
                "rebuild it with venv or put /usr/bin first in PATH" >&2
        fi
    fi
}

install_missing_packages() {
    local wanted=("${run_packages[@]}")
    [ "$mode" = test ] && wanted+=("${test_packages[@]}")
    # shellcheck disable=SC2207  # the names never contain spaces
    wanted+=($(venv_package))
    # `hostmaster cron install` edits crontabs with the crontab command; any cron providing it will do.
    command -v crontab >/dev/null 2>&1 || wanted+=(cron)
    local missing=() name
    for name in "${wanted[@]}"; do
        package_installed "$name" || missing+=("$name")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "all ${#wanted[@]} packages for '$mode' are installed"
        return
    fi
    if ! is_root; then
        say "missing packages (not root, so not installing): ${missing[*]}"
        say "to install them, run as root: apt-get install -y ${missing[*]}"
        return
    fi
    # Package scripts must not start daemons: without systemd they would fight over port 80
    # (apache2 and nginx). We start what we need ourselves below. policy-rc.d is Debian's switch.
    local policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# Written by install.sh while it installs packages.\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    say "apt-get update (missing: ${missing[*]})"
    apt-get update -qq
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    if [ -n "$(trap -p EXIT)" ]; then
        rm -f "$policy"
        trap - EXIT
    fi
}

mariadb_answers() {
    command -v mariadb-admin >/dev/null 2>&1 &&
        mariadb-admin --connect-timeout=2 --silent ping >/dev/null 2>&1
}

start_mariadb() {
    if mariadb_answers; then
        say "MariaDB is running"
        return
    fi
    if ! is_root; then
        say "MariaDB is not running (not root, so not starting it)"
        return
    fi
    if [ ! -d /var/lib/mysql/mysql ]; then
        say "initialising the MariaDB data directory"
        mariadb-install-db --user=mysql >/dev/null
    fi
    install -d -o mysql -g mysql -m 0755 /run/mysqld
    say "starting MariaDB"
    start-stop-daemon --start --oknodo --background --make-pidfile --pidfile /run/mariadbd.pid \
        --chuid mysql --exec /usr/sbin/mariadbd -- --user=mysql
    local waited=0
    until mariadb_answers; do
        if [ "$waited" -ge 30 ]; then
            say "MariaDB did not answer within 30 s; read /var/log/mysql/error.log or run" \
                "'/usr/sbin/mariadbd --user=mysql' by hand to see why." >&2
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "MariaDB answers"
}

# Remote web servers in the tests (network namespaces) reach the master's MariaDB at 10.99.0.1,
# so for 'test' it must listen beyond 127.0.0.1. Accounts stay limited by host (provision grants
# site users from their web server's address only; root logs in through the socket).
listen_for_test_hosts() {
    local bind
    bind="$(mariadb -NBe 'SELECT @@bind_address' 2>/dev/null || true)"
    case "$bind" in
        0.0.0.0 | '*' | '::')
            say "MariaDB listens on every address (remote test hosts reach it)"
            return
            ;;
    esac
    if ! is_root; then
        say "MariaDB listens on ${bind:-?} only (not root, so not changing it): remote-server tests will fail"
        return
    fi
    if [ -d /etc/mysql/mariadb.conf.d ]; then
        printf '# Written by contrib/stack/install.sh test: remote test hosts reach MariaDB.\n[mysqld]\nbind-address = 0.0.0.0\n' \
            >/etc/mysql/mariadb.conf.d/90-hostmaster-tests.cnf
        say "wrote /etc/mysql/mariadb.conf.d/90-hostmaster-tests.cnf (bind-address = 0.0.0.0)"
    elif grep -q '^bind-address' /etc/mysql/my.cnf; then
        sed -i 's/^bind-address.*/bind-address = 0.0.0.0  # contrib\/stack\/install.sh test/' /etc/mysql/my.cnf
        say "set bind-address = 0.0.0.0 in /etc/mysql/my.cnf"
    else
        printf '\n[mysqld]\nbind-address = 0.0.0.0\n' >>/etc/mysql/my.cnf
        say "added bind-address = 0.0.0.0 to /etc/mysql/my.cnf"
    fi
    say "restarting MariaDB to listen on every address"
    mariadb-admin shutdown
    local waited=0
    while mariadb_answers && [ "$waited" -lt 300 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    start_mariadb
}

apache_pid_file() {
    # envvars is the one place Debian keeps the pid file's path.
    (
        set +u
        # shellcheck disable=SC1091
        . /etc/apache2/envvars
        echo "${APACHE_PID_FILE:-/var/run/apache2/apache2.pid}"
    )
}

apache_running() {
    local pid_file pid
    pid_file="$(apache_pid_file)"
    [ -s "$pid_file" ] || return 1
    pid="$(cat "$pid_file")"
    # Not `kill -0`: a non-root user may not signal root's Apache, yet it is running; and a
    # zombie (state Z, where nothing reaps orphans) has exited.
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] &&
        [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != Z ]
}

# Enable prefork + mod_php + rewrite, ssl and headers (sites' HTTPS and HSTS) and a ServerName; sets
# apache_changed=1 if it changed anything.
apache_changed=0
configure_system_apache() {
    local php_load php_module mpm module
    php_load="$(find /etc/apache2/mods-available -name 'php*.load' | sort -V | tail -n 1)"
    if [ -z "$php_load" ]; then
        say "mod_php is missing from /etc/apache2/mods-available; run: apt-get install -y libapache2-mod-php" >&2
        exit 1
    fi
    php_module="$(basename "$php_load" .load)"
    for mpm in mpm_event mpm_worker; do
        if [ -e "/etc/apache2/mods-enabled/$mpm.load" ]; then
            a2dismod -q "$mpm" >/dev/null
            say "disabled Apache module $mpm (mod_php needs prefork)"
            apache_changed=1
        fi
    done
    # ssl and headers: sites' HTTPS and HSTS; proxy and proxy_http: the published panel.
    for module in mpm_prefork "$php_module" rewrite ssl headers proxy proxy_http; do
        if [ ! -e "/etc/apache2/mods-enabled/$module.load" ]; then
            a2enmod -q "$module" >/dev/null
            say "enabled Apache module $module"
            apache_changed=1
        fi
    done
    local conf=/etc/apache2/conf-available/hostmaster-servername.conf
    if [ ! -e "$conf" ]; then
        printf '# Written by Hostmaster install.sh: silences AH00558.\nServerName localhost\n' >"$conf"
        apache_changed=1
    fi
    if [ ! -e /etc/apache2/conf-enabled/hostmaster-servername.conf ]; then
        a2enconf -q hostmaster-servername >/dev/null
        say "set Apache's ServerName to localhost"
        apache_changed=1
    fi
}

start_system_apache() {
    if ! is_root; then
        if apache_running; then
            say "Apache is running"
        else
            say "Apache is not running (not root, so not starting it); sites need a web server"
        fi
        return
    fi
    configure_system_apache
    if apache_running; then
        if [ "$apache_changed" -eq 1 ]; then
            # A change of MPM needs a full stop and start, not a graceful restart.
            apachectl configtest
            apachectl stop
            local waited=0
            while apache_running && [ "$waited" -lt 100 ]; do
                sleep 0.1
                waited=$((waited + 1))
            done
            apachectl start
            say "restarted Apache with its new modules"
        else
            say "Apache is running"
        fi
        return
    fi
    apachectl configtest
    apachectl start
    say "started Apache"
}

# The aegir user runs the panel, the dispatcher and provision (provision/aegir_user.py): its home
# is the aegir root, it is in the web server's group (site files are group www-data, as the
# original has them), it may test and reload the web servers through sudo (contrib/sudoers), and
# Apache includes its own folder of includes, since it may not write in /etc.
setup_aegir_user() {
    if ! is_root; then
        say "not root: the aegir user is not checked (the panel runs as $(id -un))"
        return
    fi
    if ! id aegir >/dev/null 2>&1; then
        useradd --system --user-group --home-dir "$aegir_root" --shell /bin/bash aegir
        say "created the system user aegir (home $aegir_root)"
    fi
    if ! id -nG aegir | tr ' ' '\n' | grep -qx www-data; then
        usermod -a -G www-data aegir
        say "added aegir to the group www-data"
    fi
    install -d -o aegir -g aegir -m 0755 "$aegir_root" "$aegir_root/config" \
        "$aegir_root/config/includes"
    local rules=/etc/sudoers.d/hostmaster
    if ! cmp -s "$project/contrib/sudoers" "$rules"; then
        visudo -cqf "$project/contrib/sudoers"
        install -m 0440 "$project/contrib/sudoers" "$rules"
        say "installed the aegir user's sudo rules ($rules)"
    fi
    local include=/etc/apache2/conf-enabled/aegir.conf
    local line="IncludeOptional $aegir_root/config/includes/*.conf"
    if [ -d /etc/apache2/conf-enabled ] && [ "$(cat "$include" 2>/dev/null)" != "$line" ]; then
        printf '%s\n' "$line" >"$include"
        apache_changed=1
        say "Apache includes $aegir_root/config/includes ($include)"
    fi
    if ! runuser -u aegir -- test -r "$project/hostmaster/__init__.py"; then
        say "the aegir user cannot read $project (one of its folders is private, as /root is):" \
            "put the project where every user may read it, e.g. under /opt or /srv" >&2
        exit 1
    fi
}

install_missing_packages
start_mariadb
if [ "$mode" = test ]; then
    listen_for_test_hosts
fi
if [ "$mode" = run ]; then
    setup_aegir_user
    start_system_apache
fi
say "ready for 'make $mode'"
