#!/usr/bin/env bash
# Create .venv (with Debian's python3 as root, else the python3 in PATH) and install Hostmaster into it (editable, with the test
# tools). pip runs only when setup.cfg or pyproject.toml changed since the last install: a stamp
# file in .venv remembers their checksum.
set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "$0")/../.."
venv=.venv
stamp="$venv/.hostmaster-install-stamp"

say() { echo "venv.sh: $*"; }

# As root, Debian's own python3: the panel runs as the aegir user, who may not reach a Python
# under /root (pyenv's, say). Anyone else: the python3 in PATH.
python=python3
if [ "$(id -u)" -eq 0 ] && [ -x /usr/bin/python3 ]; then
    python=/usr/bin/python3
fi
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv --help >/dev/null 2>&1; then
        say "$(command -v "$python" || echo "$python") cannot create a virtual environment;" \
            "as root run 'apt-get install -y python3-venv' (or 'make run' as root), then try again." >&2
        exit 1
    fi
    say "creating $venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
fi

# provision starts once per task: compiled bytecode saves it a recompile each time, even where
# PYTHONDONTWRITEBYTECODE is set (that only stops Python writing .pyc files on import). The
# tests' fixtures too: every Python process the tests start loads their resolver guard.
compile_bytecode() {
    "$venv/bin/python" -m compileall -q hostmaster provision tests/fixtures >/dev/null || true
}

# The example plugin (contrib/plugins/) is installed too: the tests drive it, and it stays off
# until its feature is switched on.
plugins=(contrib/plugins/site_environment)
wanted="$(cat setup.cfg pyproject.toml "${plugins[@]/%//pyproject.toml}" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$venv/bin/hostmaster" ]; then
    say "$venv is up to date"
    compile_bytecode
    exit 0
fi

say "installing hostmaster and its example plugin into $venv (pip install -e '.[test]')"
# The build backend chatters on stderr even with --quiet; show its output only when pip fails.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]' \
    "${plugins[@]/#/--editable=}" >"$log" 2>&1
then
    cat "$log" >&2
    say "pip could not install the project; read its message above, fix setup.cfg or the" \
        "network to the package index, then run this again." >&2
    exit 1
fi
echo "$wanted" >"$stamp"
compile_bytecode
say "installed"
