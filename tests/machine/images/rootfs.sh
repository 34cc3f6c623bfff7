#!/bin/bash
# The shared root file system of every stand-in container image: one Debian trixie (minbase)
# tree with all the programs the images run, built by mmdebstrap as root.
#
#   rootfs.sh OUT_DIR CA_CERT ACTUAL_SRC ACTUAL_OUT
#
# OUT_DIR     the root file system to create (must not exist)
# CA_CERT     the test CA, added to the trust store (Caddy trusts the ACME stand-in, restic
#             the S3 stand-in, Miniflux and ntfy the other stand-ins)
# ACTUAL_SRC  the Actual sync server as npm installed it without scripts (see actual/); its
#             native modules are compiled inside the tree against Debian's nodejs, the build
#             tools removed again, and the result moved to ACTUAL_OUT (it becomes the layer of
#             the actual-server image, not part of the shared one)
set -euo pipefail

out="$1"
ca="$2"
actual_src="$3"
actual_out="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mirror="${NASSELLA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

packages=(
	# tini is the init of upstream's actual-server image; busybox gives wget (as in the alpine images)
	busybox ca-certificates tzdata tini locales
	caddy
	postgresql-17 postgresql-client-17
	# alternatives that keep systemd and dbconfig's PostgreSQL setup out of the tree
	miniflux dbconfig-no-thanks
	ntfy systemd-standalone-sysusers
	restic age
	nodejs
)

export NASSELLA_CA="$ca" NASSELLA_ACTUAL_SRC="$actual_src" NASSELLA_ACTUAL_OUT="$actual_out" NASSELLA_HERE="$here"
# A fixed time for every file the packages write (dpkg and mmdebstrap honour it).
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}"

# shellcheck disable=SC2016 # the hooks are expanded by the shell mmdebstrap runs them in
mmdebstrap --mode=root --format=directory --variant=minbase \
	--include="$(
		IFS=,
		echo "${packages[*]}"
	)" \
	--aptopt='APT::Install-Recommends "false"' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-include=/usr/share/locale/locale.alias' \
	--setup-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/nassella-stand-in.conf"' \
	--customize-hook='cp "$NASSELLA_CA" "$1/usr/local/share/ca-certificates/nassella-test-ca.crt" && chroot "$1" update-ca-certificates' \
	--customize-hook='chroot "$1" localedef -i en_US -c -f UTF-8 -A /usr/share/locale/locale.alias en_US.UTF-8' \
	--customize-hook='ln -s /usr/bin/busybox "$1/usr/local/bin/wget"' \
	--customize-hook='rm -rf "$1/var/lib/postgresql/17" "$1/etc/postgresql/17"' \
	--customize-hook='bash "$NASSELLA_HERE/actual-build.sh" "$1" "$NASSELLA_ACTUAL_SRC" "$NASSELLA_ACTUAL_OUT"' \
	--customize-hook='rm -rf "$1"/var/log/* "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old "$1"/tmp/* "$1"/root/.npm "$1"/root/.cache' \
	trixie "$out" "$mirror"
