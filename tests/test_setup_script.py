"""scripts/setup.sh, the first step of both README commands, and how CI calls it.

The script runs for real (bash), on a copy of itself in a scratch checkout,
with stand-ins first on PATH for ``python3`` (answers the version checks; a
fake ``-m venv`` that can fail as Debian's does without python3-venv), the venv's
``python`` (records ``pip`` calls), ``apt-get`` (records, and "installs"
python3-venv), ``id`` (root or not), ``soffice --version`` and ``apt-config``,
which points the script at a scratch apt folder, as ``OS_RELEASE`` points it
at a scratch os-release; the python3 stand-in hands a script on stdin (the
parsing of apt's sources) to a real Python. So each branch runs in well under
a second, touching nothing outside the scratch folder (never the real
/etc/apt, even as root). The real thing, on the
Debian system Python, is what the README commands do (see the closing note
of issue 12).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

SETUP = REPO / "scripts" / "setup.sh"
README = REPO / "README.md"
CI_RUN = REPO / ".ci" / "run"
DEMO_COMMAND = "bash scripts/setup.sh && .venv/bin/xl-factor demo"
TEST_COMMAND = "bash scripts/setup.sh --test && .venv/bin/python -m pytest"

DEBIAN_VENV_ERROR = """The virtual environment was not created successfully because ensurepip is not
available.  On Debian/Ubuntu systems, you need to install the python3-venv
package using the following command.

    apt install python3.11-venv
"""

BASH = shutil.which("bash") or "/bin/bash"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="setup.sh is a bash script; no bash here")


def _stub(path: Path, body: str) -> None:
    path.write_text(f"#!{BASH}\n" + body)
    path.chmod(0o755)


@pytest.fixture
def checkout(tmp_path):
    """A scratch checkout holding scripts/setup.sh, and a bin/ of stand-ins; returns a runner."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(SETUP, root / "scripts" / "setup.sh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    state = tmp_path / "state"
    state.mkdir()
    # -c: setup.sh's version check (sys.exit ...) passes, its minor-version query prints 3.11.
    venv_python = f"""echo "venv-python $*" >> {log}
case "$1" in
  -c) case "$2" in *sys.exit*) exit 0 ;; *) echo 3.11 ;; esac ;;
  --version) echo "Python 3.11.9" ;;
  -m) if [ "$2" = ensurepip ]; then rm -f {state}/no-pip; exit 0; fi
      [ "$2" = pip ] && [ -e {state}/no-pip ] && exit 1; exit 0 ;;
esac
"""
    # python3: answers the version checks (3.11, or 3.9 with old-python), fakes -m venv, runs `-` for real.
    _stub(bin_dir / "python3", f"""echo "python3 $*" >> {log}
[ "$1" = - ] && exec {sys.executable} "$@"
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$3/bin"
  if [ -e {state}/no-ensurepip ]; then
    cat <<'MSG'
{DEBIAN_VENV_ERROR}MSG
    exit 1
  fi
  cat > "$3/bin/python" <<'PY'
#!{BASH}
{venv_python}PY
  chmod +x "$3/bin/python"
  exit 0
fi
case "$1" in
  -c) if [ -e {state}/old-python ]; then
        case "$2" in *sys.exit*) exit 1 ;; *) echo 3.9 ;; esac
      else
        case "$2" in *sys.exit*) exit 0 ;; *) echo 3.11 ;; esac
      fi ;;
  --version) echo "Python 3.11.9" ;;
esac
""")
    _stub(bin_dir / "apt-get", f"""echo "apt-get $*" >> {log}
case " $* " in *" python3-venv "*) [ -e {state}/venv-installable ] && rm -f {state}/no-ensurepip ;; esac
exit 0
""")
    _stub(bin_dir / "id", f"""[ -e {state}/root ] && echo 0 || echo 1000\n""")
    # apt's configuration: a scratch folder, empty unless a test writes sources into it.
    apt = tmp_path / "etc-apt"
    (apt / "sources.list.d").mkdir(parents=True)
    _stub(bin_dir / "apt-config", f"""[ "$1" = shell ] || exit 100
shift
while [ $# -ge 2 ]; do
  case "$2" in
    Dir::Etc::sourcelist/f) echo "$1='{apt}/sources.list'" ;;
    Dir::Etc::sourceparts/d) echo "$1='{apt}/sources.list.d/'" ;;
  esac
  shift 2
done
""")
    os_release = tmp_path / "os-release"
    os_release.write_text("ID=ubuntu\nVERSION_CODENAME=noble\n")
    # Only these real programs are on PATH, so a real soffice or apt-get never answers.
    for tool in ("dirname", "rm", "mkdir", "cat", "chmod", "sed", "awk", "cut", "grep"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    # soffice (7.4 unless state/soffice-version says otherwise) and unoidl-write present: the LibreOffice
    # step is skipped unless a test removes them or the system is bookworm.
    _stub(bin_dir / "soffice", f"""[ "$1" = --version ] || exit 0
if [ -e {state}/soffice-version ]; then cat {state}/soffice-version; else echo "LibreOffice 7.4.7.2 40(Build:2)"; fi
""")
    _stub(bin_dir / "unoidl-write", "exit 0\n")

    def run(*args: str, flags: tuple[str, ...] = ()):
        for flag in flags:
            (state / flag).touch()
        env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "OS_RELEASE": str(os_release)}
        done = subprocess.run([BASH, str(root / "scripts" / "setup.sh"), *args], cwd=root, env=env,
                              capture_output=True, text=True, timeout=60)
        calls = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return done, calls

    run.root, run.bin, run.state, run.apt, run.os_release = root, bin_dir, state, apt, os_release
    return run


def test_makes_venv_and_installs_the_package_into_it(checkout):
    done, calls = checkout()
    assert done.returncode == 0, done.stderr
    assert "python3 -m venv .venv" in calls
    assert "venv-python -m pip install --quiet --disable-pip-version-check -e ." in calls
    assert not [c for c in calls if c.startswith("python3 -m pip")], "pip must never run outside .venv"
    assert not [c for c in calls if c.startswith("apt-get")]
    assert "ready: .venv/bin/xl-factor demo" in done.stderr


def test_reuses_an_existing_venv(checkout):
    assert checkout()[0].returncode == 0
    done, calls = checkout("--test")
    assert done.returncode == 0, done.stderr
    assert not [c for c in calls if "-m venv" in c], "an existing .venv is reused, not made again"
    assert "reusing" in done.stderr
    assert "venv-python -m pip install --quiet --disable-pip-version-check -e .[test]" in calls


def test_without_ensurepip_as_a_user_says_what_to_install_and_leaves_nothing(checkout):
    done, calls = checkout(flags=("no-ensurepip",))
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "python3.11-venv" in last and "apt-get install" in last, last
    assert not [c for c in calls if c.startswith("apt-get")], "not root: nothing is installed"
    assert not (checkout.root / ".venv").exists(), "the half-made .venv is removed"


def test_without_ensurepip_as_root_installs_python3_venv_and_retries(checkout):
    done, calls = checkout(flags=("no-ensurepip", "root", "venv-installable"))
    assert done.returncode == 0, done.stderr
    install = [c for c in calls if c.startswith("apt-get") and " install " in c]
    assert install and install[0].endswith("python3-venv python3.11-venv"), install
    assert calls.count("python3 -m venv .venv") == 2
    assert (checkout.root / ".venv" / "bin" / "python").exists()


def test_without_ensurepip_as_root_when_apt_does_not_help_fails_in_one_line(checkout):
    done, _ = checkout(flags=("no-ensurepip", "root"))
    assert done.returncode != 0
    assert "python3.11-venv" in done.stderr.strip().splitlines()[-1]
    assert not (checkout.root / ".venv").exists()


def test_refuses_python_older_than_3_11(checkout):
    done, calls = checkout(flags=("old-python",))
    assert done.returncode != 0
    assert "3.11 or later" in done.stderr
    assert not [c for c in calls if "-m venv" in c]


def test_test_extra_as_root_installs_libreoffice_when_missing(checkout):
    (checkout.bin / "soffice").unlink()
    done, calls = checkout("--test", flags=("root",))
    assert done.returncode == 0, done.stderr
    install = [c for c in calls if c.startswith("apt-get") and " install " in c]
    assert install and install[-1].endswith(
        "libreoffice-calc-nogui python3-uno libreoffice-script-provider-python libreoffice-dev"), install


LO_PACKAGES = "libreoffice-calc-nogui python3-uno libreoffice-script-provider-python libreoffice-dev"
BACKPORTS_FILE = "xl-factor-bookworm-backports.sources"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
#: The system's own sources on a Debian 12 image, deb822 style (the host is a reserved, unresolvable name).
DEB822 = f"""Types: deb
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: {KEYRING}

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
Signed-By: {KEYRING}
"""
ONE_LINE = "deb http://mirror.invalid/debian bookworm main\ndeb http://mirror.invalid/debian-security bookworm-security main\n"
BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'


@pytest.fixture
def bookworm(checkout):
    """The checkout runner on a Debian 12 as root; the real /etc/apt must be the same afterwards."""
    def real_apt():
        return sorted((str(p), p.stat().st_mtime_ns) for p in Path("/etc/apt").glob("sources.list*") if p.exists())

    checkout.os_release.write_text(BOOKWORM)
    before = real_apt()
    yield checkout
    assert real_apt() == before, "the test touched the real /etc/apt"


@pytest.mark.parametrize("style", ["deb822", "one-line"])
def test_bookworm_without_libreoffice_25_adds_backports_from_the_system_entry(bookworm, style):
    if style == "deb822":
        (bookworm.apt / "sources.list.d" / "debian.sources").write_text(DEB822)
        expected = (f"Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm-backports\n"
                    f"Components: main contrib\nSigned-By: {KEYRING}\n")
    else:
        (bookworm.apt / "sources.list").write_text(ONE_LINE)
        expected = "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm-backports\nComponents: main\n"
    done, calls = bookworm("--test", flags=("root",))
    assert done.returncode == 0, done.stderr
    assert (bookworm.apt / "sources.list.d" / BACKPORTS_FILE).read_text() == expected
    assert f"python3 - {bookworm.apt}/sources.list {bookworm.apt}/sources.list.d/" in calls  # "$PY" parses them
    apt = [c for c in calls if c.startswith("apt-get")]
    assert apt == ["apt-get update -qq",
                   f"apt-get install -y -qq --no-install-recommends -t bookworm-backports {LO_PACKAGES}"], apt
    assert "LibreOffice 25.2 from bookworm-backports" in done.stderr


def test_bookworm_with_a_backports_entry_adds_no_second_one(bookworm):
    (bookworm.apt / "sources.list.d" / "debian.sources").write_text(
        DEB822.replace("Suites: bookworm bookworm-updates", "Suites: bookworm bookworm-updates bookworm-backports"))
    done, calls = bookworm("--test", flags=("root",))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (bookworm.apt / "sources.list.d").iterdir()) == ["debian.sources"]
    assert f"apt-get install -y -qq --no-install-recommends -t bookworm-backports {LO_PACKAGES}" in calls


def test_bookworm_with_libreoffice_25_installs_nothing(bookworm):
    (bookworm.apt / "sources.list.d" / "debian.sources").write_text(DEB822)
    (bookworm.state / "soffice-version").write_text("LibreOffice 25.2.3.2 520(Build:2)\n")
    done, calls = bookworm("--test", flags=("root",))
    assert done.returncode == 0, done.stderr
    assert not [c for c in calls if c.startswith("apt-get")]
    assert not (bookworm.apt / "sources.list.d" / BACKPORTS_FILE).exists()


def test_bookworm_without_a_bookworm_entry_installs_debians_own_libreoffice(bookworm):
    (bookworm.apt / "sources.list.d" / "debian.sources").write_text(DEB822.replace("bookworm", "trixie"))
    (bookworm.bin / "soffice").unlink()
    done, calls = bookworm("--test", flags=("root",))
    assert done.returncode == 0, done.stderr
    assert not (bookworm.apt / "sources.list.d" / BACKPORTS_FILE).exists()
    apt = [c for c in calls if c.startswith("apt-get")]
    assert apt == ["apt-get update -qq", f"apt-get install -y -qq --no-install-recommends {LO_PACKAGES}"], apt
    assert "no bookworm entry" in done.stderr


def test_demo_setup_as_root_installs_no_libreoffice(checkout):
    (checkout.bin / "soffice").unlink()
    done, calls = checkout(flags=("root",))
    assert done.returncode == 0, done.stderr
    assert not [c for c in calls if c.startswith("apt-get")]


def test_venv_without_pip_gets_it_from_ensurepip(checkout):
    assert checkout()[0].returncode == 0
    done, calls = checkout(flags=("no-pip",))
    assert done.returncode == 0, done.stderr
    assert "venv-python -m ensurepip --upgrade --default-pip" in calls


def test_unknown_argument_is_refused(checkout):
    done, _ = checkout("--tests")
    assert done.returncode != 0 and "unknown argument '--tests'" in done.stderr


def test_readme_gives_the_two_commands_and_ci_runs_the_test_command():
    readme = README.read_text(encoding="utf-8")
    assert DEMO_COMMAND in readme
    assert TEST_COMMAND in readme
    lines = [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]
    assert TEST_COMMAND in lines, f".ci/run must run the README's test command as it is: {TEST_COMMAND}"


def test_readme_linux_commands_say_python3():
    """Plain Debian has no ``python`` command: shell blocks (not the Windows ``bat`` ones) say python3."""
    readme = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    bare = [line for block in blocks for line in block.splitlines() if re.match(r"\s*(sudo\s+)?python\s", line)]
    assert not bare, f"README shell commands with `python` (plain Debian has only python3): {bare}"
