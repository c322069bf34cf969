#!/usr/bin/env bash
# CI's install check of the Debian package: builds it (from the debug
# build), installs it with dpkg, runs what it installed, checks its manual
# pages, completions, units and system user, removes and purges it. Also
# checks that `cargo install --path starter` and `--path worker` work.
# Must run as root on a Debian machine; leaves the machine as it found it.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "deploy/debian/check.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"

DEB=$(deploy/debian/build.sh --profile dev --out target/debian)
echo "== built $DEB ($(du -h "$DEB" | cut -f1))"
[ "$(dpkg-deb --field "$DEB" Package)" = switchyard ] || fail "not a switchyard package"
# dpkg installs no dependencies: what the package depends on first.
for dep in adduser openssh-client ca-certificates; do
    dpkg -s "$dep" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$dep"
done
dpkg -i "$DEB"
trap 'dpkg --purge switchyard >/dev/null 2>&1 || true' EXIT

echo "== what it installed runs"
[[ $(/usr/bin/switchyard --version) == "switchyard "* ]] || fail "switchyard --version"
[[ $(/usr/bin/switchyard-worker --version) == "switchyard-worker "* ]] || fail "switchyard-worker --version"
/usr/bin/switchyard plan --help >/dev/null || fail "switchyard plan --help"
# The CLI's doctor runs the worker's, installed beside it: a missing
# inventory is the worker's refusal, naming the file.
out=$(/usr/bin/switchyard doctor --inventory /nonexistent/inventory.yaml 2>&1 || true)
[[ $out == *"/nonexistent/inventory.yaml"* ]] || fail "switchyard doctor did not reach switchyard-worker doctor: $out"
for page in switchyard switchyard-plan switchyard-serve switchyard-doctor switchyard-worker switchyard-worker-doctor; do
    [ -s "/usr/share/man/man1/$page.1.gz" ] || fail "no manual page $page(1)"
    [[ $(zcat "/usr/share/man/man1/$page.1.gz") == *$'\n.TH '* || $(zcat "/usr/share/man/man1/$page.1.gz" | head -n 3) == *.TH* ]] || fail "$page(1) is not a manual page"
done
bash -c 'source /usr/share/bash-completion/completions/switchyard && complete -p switchyard' >/dev/null || fail "the bash completion does not load"
[ -s /usr/share/zsh/vendor-completions/_switchyard ] || fail "no zsh completion"
[ -s /usr/share/fish/vendor_completions.d/switchyard.fish ] || fail "no fish completion"
for unit in switchyard-worker.service switchyard.service; do
    grep -q '^ExecStart=/usr/bin/switchyard' "/lib/systemd/system/$unit" || fail "$unit"
    if command -v systemd-analyze >/dev/null; then
        systemd-analyze verify "/lib/systemd/system/$unit" || fail "systemd-analyze verify $unit"
    fi
done
getent passwd switchyard >/dev/null || fail "no system user switchyard"
[ "$(stat -c %U /var/lib/switchyard)" = switchyard ] || fail "/var/lib/switchyard is not switchyard's"
[ "$(stat -c %G:%a /etc/switchyard/worker.env)" = switchyard:640 ] || fail "worker.env is not switchyard-readable only"
[[ $'\n'$(dpkg -L switchyard)$'\n' == *$'\n/etc/switchyard/serve.env\n'* ]] || fail "serve.env is not the package's"

echo "== remove, purge"
dpkg --remove switchyard
[ ! -e /usr/bin/switchyard ] || fail "remove left /usr/bin/switchyard"
dpkg --purge switchyard
! getent passwd switchyard >/dev/null || fail "purge left the system user"
[ ! -e /etc/switchyard/worker.env ] || fail "purge left the settings"

echo "== cargo install --path starter, --path worker"
ROOTDIR=$(mktemp -d /tmp/switchyard-install.XXXXXX)
# The workspace's own target folder: what the build above compiled is reused.
CARGO_TARGET_DIR=$(pwd)/target cargo install --locked --debug --quiet --path starter --root "$ROOTDIR"
CARGO_TARGET_DIR=$(pwd)/target cargo install --locked --debug --quiet --path worker --root "$ROOTDIR"
"$ROOTDIR/bin/switchyard" --version >/dev/null || fail "cargo install --path starter"
"$ROOTDIR/bin/switchyard-worker" --version >/dev/null || fail "cargo install --path worker"
rm -rf "$ROOTDIR"
echo "== the package installs, runs and goes away cleanly"
