#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian/Ubuntu machine:
# the package with its test extra into the current Python, and, when run as
# root (CI), LibreOffice for the tests that recalculate workbooks.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"

# LibreOffice (Calc without a GUI, its Python bridge and script provider) and
# the SDK's unoidl-write, which recompiles the add-in's type library; skipped
# when both are already there.
has_unoidl_write() { command -v unoidl-write >/dev/null || [ -x /usr/lib/libreoffice/sdk/bin/unoidl-write ]; }
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null && ! { command -v soffice >/dev/null && has_unoidl_write; }; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libreoffice-calc-nogui python3-uno libreoffice-script-provider-python libreoffice-dev
fi
