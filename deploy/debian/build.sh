#!/usr/bin/env bash
# Builds the Debian package of switchyard: the two programs, their manual
# pages and shell completions (generated from the programs themselves),
# systemd units for the worker and the service, and their settings under
# /etc/switchyard (conffiles: an upgrade keeps local edits).
#
#   deploy/debian/build.sh [--profile release|dev] [--out DIR]
#
# Prints the .deb's path. Needs cargo, dpkg-deb, gzip and strip (binutils).
# `--profile dev` packages the debug build (CI's install check, which needs
# no 10-minute release build); packages for machines use release.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PROFILE=release OUT=$ROOT/target/debian
while [ $# -gt 0 ]; do
    case $1 in
        --profile) PROFILE=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "build.sh: unknown argument $1 (see the header)" >&2; exit 2 ;;
    esac
done
case $PROFILE in release) DIR=release ;; dev) DIR=debug ;; *) echo "build.sh: --profile is release or dev" >&2; exit 2 ;; esac

cargo build --locked --profile "$PROFILE" -p switchyard-starter -p switchyard-worker --bins >&2
BIN=$ROOT/target/$DIR
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
ARCH=$(dpkg --print-architecture)
STAGE=$(mktemp -d /tmp/switchyard-deb.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
PKG=$STAGE/switchyard_${VERSION}_${ARCH}

# /etc/switchyard is not world-readable, from the package itself on: dpkg
# sets a directory's mode on every upgrade, before postinst runs.
install -d -m 750 "$PKG/etc/switchyard"
install -d "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/usr/share/man/man1" "$PKG/lib/systemd/system" \
    "$PKG/usr/share/bash-completion/completions" "$PKG/usr/share/zsh/vendor-completions" "$PKG/usr/share/fish/vendor_completions.d" \
    "$PKG/usr/share/doc/switchyard"
for program in switchyard switchyard-worker; do
    install -m 755 "$BIN/$program" "$PKG/usr/bin/$program"
    # Debug information stays in the build; the package carries the code.
    strip --strip-debug "$PKG/usr/bin/$program"
done
"$PKG/usr/bin/switchyard" man "$STAGE/man"
"$PKG/usr/bin/switchyard-worker" man "$STAGE/man"
for page in "$STAGE"/man/*.1; do
    gzip -9n < "$page" > "$PKG/usr/share/man/man1/$(basename "$page").gz"
done
"$PKG/usr/bin/switchyard" completions bash > "$PKG/usr/share/bash-completion/completions/switchyard"
"$PKG/usr/bin/switchyard" completions zsh > "$PKG/usr/share/zsh/vendor-completions/_switchyard"
"$PKG/usr/bin/switchyard" completions fish > "$PKG/usr/share/fish/vendor_completions.d/switchyard.fish"
install -m 644 deploy/systemd/switchyard-worker.service deploy/systemd/switchyard.service "$PKG/lib/systemd/system/"
install -m 640 deploy/debian/worker.env deploy/debian/serve.env "$PKG/etc/switchyard/"
install -m 644 deploy/debian/copyright "$PKG/usr/share/doc/switchyard/copyright"
install -m 755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$PKG/DEBIAN/"
printf '/etc/switchyard/worker.env\n/etc/switchyard/serve.env\n' > "$PKG/DEBIAN/conffiles"
SIZE=$(du -sk "$PKG/usr" "$PKG/lib" "$PKG/etc" | awk '{s += $1} END {print s}')
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: switchyard
Version: $VERSION
Architecture: $ARCH
Maintainer: switchyard maintainers <switchyard@localhost>
Installed-Size: $SIZE
Depends: libc6, adduser, openssh-client, ca-certificates
Section: net
Priority: optional
Homepage: https://github.com/switchyard/switchyard
Description: safe, durable changes to a fleet of SONiC switches
 switchyard plans a change on every switch (the exact CONFIG_DB rows),
 waits for signed approvals and the change window, applies in canary waves
 with a failure budget, and rolls back what it changed when something
 fails, as durable workflows on a Temporal cluster.
 .
 This package has the CLI and service (switchyard), the worker
 (switchyard-worker), their manual pages and shell completions, and systemd
 units for the worker and the service.
CONTROL
mkdir -p "$OUT"
dpkg-deb --root-owner-group -Zgzip --build "$PKG" "$OUT/" >&2
echo "$OUT/switchyard_${VERSION}_${ARCH}.deb"
