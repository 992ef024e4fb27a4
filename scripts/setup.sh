#!/usr/bin/env bash
# Sets up the checkout's virtual environment .venv and installs xl_factor into it.
#
#   bash scripts/setup.sh           # .venv with xl_factor (then: .venv/bin/xl-factor demo)
#   bash scripts/setup.sh --test    # and the test extra; as root with apt-get, LibreOffice
#                                   # for the workbook tests (then: .venv/bin/python -m pytest)
#
# Works on a plain Debian 12 / Ubuntu 24.04 system Python, which refuses
# `pip install` outside a virtual environment: everything goes into .venv
# (made if missing, reused otherwise). Python 3.11 or later is supported
# (Debian 12 has 3.11, Ubuntu 24.04 has 3.12). PYTHON=/path/to/python3 picks
# another interpreter than the first python3 on PATH.
#
# LibreOffice's Python bridge (python3-uno) belongs to the system python3;
# the tests start that interpreter for `uno` (xl_factor/libreoffice/office.py),
# so .venv needs no access to it.
#
# On Debian 12 (bookworm) the LibreOffice step adds the suite
# bookworm-backports: it asks apt-config where apt's sources are
# (Dir::Etc::sourcelist, Dir::Etc::sourceparts) and reads the release from
# $OS_RELEASE (default /etc/os-release), e.g. for a system image mounted
# elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

test_extra=0
for arg in "$@"; do
    case "$arg" in
        --test) test_extra=1 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$arg' (usage: bash scripts/setup.sh [--test])" ;;
    esac
done

VENV=.venv
MIN_VERSION=3.11
can_apt() { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; }
apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
# Exit 0 when the interpreter $1 is Python $MIN_VERSION or later.
new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
minor_of() { "$1" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'; }

# ---------------------------------------------------------------- the interpreter
PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null; then
    if [ -z "${PYTHON:-}" ] && can_apt; then
        say "no python3 on PATH: installing python3 and python3-venv"
        apt_install python3 python3-venv
    fi
    command -v "$PY" >/dev/null || die "no $PY found: install Python $MIN_VERSION or later (Debian/Ubuntu: apt-get install python3 python3-venv)"
fi
new_enough "$PY" || die "$PY is Python $(minor_of "$PY" 2>/dev/null || echo '?'); xl_factor needs Python $MIN_VERSION or later (3.11, 3.12, 3.13): set PYTHON=/path/to/python3.11+"

# ---------------------------------------------------------------- the virtual environment
make_venv() {
    local log
    if log=$("$PY" -m venv "$VENV" 2>&1); then
        return 0
    fi
    rm -rf "$VENV"  # it did not exist before this attempt: leave nothing half made
    case "$log" in
        *ensurepip*|*"No module named venv"*)
            local minor
            minor=$(minor_of "$PY")
            if can_apt; then
                say "$PY cannot make a virtual environment (no ensurepip): installing python3-venv python$minor-venv"
                apt_install python3-venv "python$minor-venv" || true
                if log=$("$PY" -m venv "$VENV" 2>&1); then
                    return 0
                fi
                rm -rf "$VENV"
            fi
            die "$PY cannot make a virtual environment: install python$minor-venv (sudo apt-get install python3-venv python$minor-venv) and run this again"
            ;;
    esac
    printf '%s\n' "$log" >&2
    die "'$PY -m venv $VENV' failed (output above)"
}

if [ -e "$VENV" ]; then
    [ -x "$VENV/bin/python" ] || die "$PWD/$VENV exists but is not a virtual environment with bin/python: move it away and run this again"
    new_enough "$VENV/bin/python" || die "$PWD/$VENV is Python $(minor_of "$VENV/bin/python" 2>/dev/null || echo '?'), older than $MIN_VERSION: remove it (rm -rf $VENV) and run this again"
    if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        say "$VENV has no pip: adding it with ensurepip"
        "$VENV/bin/python" -m ensurepip --upgrade --default-pip >/dev/null 2>&1 \
            || die "$PWD/$VENV has no pip and ensurepip cannot add it: remove it (rm -rf $VENV) and run this again"
    fi
    say "reusing $PWD/$VENV ($("$VENV/bin/python" --version 2>&1))"
else
    say "making $PWD/$VENV with $(command -v "$PY") ($("$PY" --version 2>&1))"
    make_venv
fi

# ---------------------------------------------------------------- xl_factor into it
target="."
[ "$test_extra" -eq 1 ] && target=".[test]"
say "pip install -e \"$target\" into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target"

# ---------------------------------------------------------------- LibreOffice, for the tests
# Calc without a GUI, its Python bridge and script provider, and the SDK's
# unoidl-write, which recompiles the add-in's type library; skipped when both
# are already there. Without root or apt-get the LibreOffice tests skip (fail
# when CI is set).
#
# On Debian 12 the LibreOffice is the current one from bookworm-backports
# (25.2): 7.4, in the main suite, leaves every FM_* cell of an xlsx as #NAME?
# on open, while 25.2 binds them through the add-in's CompatibilityName
# entries. The backports suite is added with the archive and components of
# the system's own bookworm entry, so no mirror is named here.
LO_PACKAGES=(libreoffice-calc-nogui python3-uno libreoffice-script-provider-python libreoffice-dev)
has_unoidl_write() { command -v unoidl-write >/dev/null || [ -x /usr/lib/libreoffice/sdk/bin/unoidl-write ]; }
soffice_major() { soffice --version 2>/dev/null | awk '{print $2}' | cut -d. -f1; }
codename() { . "${OS_RELEASE:-/etc/os-release}" 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}"; }
# Writes an apt source for bookworm-backports from the system's bookworm entry
# (deb822 .sources or a one-line sources.list); returns 1 when there is none.
add_backports() {
    local sourcelist sourceparts
    eval "$(apt-config shell sourcelist Dir::Etc::sourcelist/f sourceparts Dir::Etc::sourceparts/d)"
    [ -n "$sourcelist" ] && [ -n "$sourceparts" ] || die "apt-config does not say where apt's sources are"
    local list="${sourceparts%/}/xl-factor-bookworm-backports.sources"
    grep -rqs 'bookworm-backports' "$sourcelist" "$sourceparts" && return 0
    local stanza
    stanza=$("$PY" - "$sourcelist" "$sourceparts" <<'PYEOF'
import glob, os, re, sys
sourcelist, sourceparts = sys.argv[1:3]
def entries():
    for path in sorted(glob.glob(os.path.join(sourceparts, "*.sources"))):
        for block in re.split(r"\n\s*\n", open(path).read()):
            fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", block, re.M))
            if "deb" in fields.get("Types", "").split() and fields.get("Enabled", "yes").lower() != "no":
                yield fields.get("URIs", ""), fields.get("Suites", ""), fields.get("Components", "main"), fields.get("Signed-By", "")
    try:
        for line in open(sourcelist):
            parts = line.split("#")[0].split()
            if len(parts) >= 3 and parts[0] == "deb" and not parts[1].startswith("["):
                yield parts[1], parts[2], " ".join(parts[3:]) or "main", ""
    except OSError:
        pass
for uris, suites, components, keyring in entries():
    if "bookworm" in suites.split() and uris:
        print("Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: %s" % (uris, components))
        if keyring.startswith("/"):
            print("Signed-By: %s" % keyring)
        break
PYEOF
)
    [ -n "$stanza" ] || return 1
    printf '%s\n' "$stanza" > "$list"
    apt_updated=0
}
if [ "$test_extra" -eq 1 ] && can_apt; then
    if [ "$(codename)" = bookworm ] && [ "$(soffice_major)" != 25 ]; then
        if add_backports; then
            say "installing LibreOffice 25.2 from bookworm-backports (Calc without a GUI, python3-uno, the SDK) with apt-get"
            apt_install -t bookworm-backports "${LO_PACKAGES[@]}"
        else
            say "no bookworm entry in apt's sources to add bookworm-backports from: installing Debian's own LibreOffice"
            apt_install "${LO_PACKAGES[@]}"
        fi
    elif ! { command -v soffice >/dev/null && has_unoidl_write; }; then
        say "installing LibreOffice (Calc without a GUI, python3-uno, the SDK) with apt-get"
        apt_install "${LO_PACKAGES[@]}"
    fi
fi

if [ "$test_extra" -eq 1 ]; then
    say "ready: .venv/bin/python -m pytest"
else
    say "ready: .venv/bin/xl-factor demo (or '. .venv/bin/activate' first, then xl-factor ...)"
fi
