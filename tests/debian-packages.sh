#!/bin/sh
# Installs the Debian packages the test suite runs for real (browser, Caddy, Ignition,
# pebble, journal gateway, restic, PowerDNS, PostgreSQL, git, shellcheck, systemd tools, and for the
# booted stand-in server mmdebstrap, QEMU, docker-registry, sshd, squashfs-tools), when any
# is missing. Uses sudo when not run as root.
set -eu

PACKAGES="chromium caddy ignition pebble systemd-journal-remote restic pdns-server pdns-backend-sqlite3 git shellcheck systemd dnsutils sqlite3 openssh-client openssh-server postgresql age jq curl openssl e2fsprogs util-linux mmdebstrap qemu-system-x86 qemu-utils docker-registry squashfs-tools socat"
NEEDED=""
for pkg in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		NEEDED="$NEEDED $pkg"
	fi
done

if [ -z "$NEEDED" ]; then
	echo "Debian packages for the tests: all present."
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing Debian packages for the tests:$NEEDED"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # the list is meant to split into words
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $NEEDED
