#!/usr/bin/env bash
# Builds the stand-in server image (tests/machine/README.md, "The stand-in image") into OUT:
#   vmlinuz, initrd.img, root.img (ext4, label root), sysext/docker-compose-<ver>-x86-64.raw,
#   age/age-v<ver>-linux-amd64.tar.gz, info.json, packages.txt
# from Debian trixie, with the test CA (CA_CERT) in the system trust store.
#
# Usage: build.sh OUT CA_CERT        (as root; OUT must not exist yet)
# Called by build.ts, which picks OUT in the machine cache. Everything the image holds besides
# Debian's packages comes from rootfs/ beside this script.
set -euo pipefail

SUITE=trixie
MIRROR=http://deb.debian.org/debian
ROOT_SIZE=6G
# Fixed identity and times, so two builds from the same packages give the same disk.
ROOT_UUID=5e7a1d1e-7e57-4a11-8b0b-000000000001
ROOT_HASH_SEED=5e7a1d1e-7e57-4a11-8b0b-000000000002
export SOURCE_DATE_EPOCH=1767225600
PACKAGES=(
	systemd systemd-sysv systemd-timesyncd udev dbus linux-image-amd64 dracut dracut-core dracut-network
	ignition docker.io docker-cli git openssh-client ca-certificates curl jq e2fsprogs iproute2 iptables kmod restic
	systemd-journal-remote dnsmasq tzdata gzip tar procps util-linux
)
DRIVERS="virtio_blk virtio_pci virtio_net virtio_console virtio_rng qemu_fw_cfg ext4 squashfs loop overlay"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() {
	printf '[build.sh %s] %s\n' "$(date +%T)" "$*" >&2
}

# Host tools, installed from Debian when missing.
host_tools() {
	local missing=() pair
	for pair in mmdebstrap:mmdebstrap mksquashfs:squashfs-tools mkfs.ext4:e2fsprogs dpkg-deb:dpkg jq:jq; do
		command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
	done
	if ((${#missing[@]})); then
		log "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
}

# The upstream version in a Debian version: 1:2.26.1-4+b2 -> 2.26.1, 1.2.1+ds-1 -> 1.2.1
upstream_version() {
	local v=${1#*:}
	v=${v%-*}
	v=${v%%+*}
	v=${v%%~*}
	printf '%s' "$v"
}

# Runs inside mmdebstrap's customize phase ($1 = the root, with /proc, /sys and /dev mounted).
customize() {
	local root=$1 work=$NASSELLA_IMAGE_WORK ca=$NASSELLA_IMAGE_CA kver
	log "customizing the root"
	tar -C "$here/rootfs" --owner=0 --group=0 --numeric-owner -cf - . | tar -C "$root" -xpf - --no-same-owner
	# Flatcar's places for extensions; /opt/extensions is where the project's Ignition puts them.
	mkdir -p "$root/opt/extensions" "$root/etc/extensions" "$root/var/log/journal"

	install -D -m 0644 "$ca" "$root/usr/local/share/ca-certificates/nassella-standin-test-ca.crt"
	chroot "$root" update-ca-certificates

	chroot "$root" passwd -d root
	chroot "$root" systemctl enable systemd-networkd.service systemd-sysext.service dnsmasq.service \
		nassella-standin-clock.service nassella-standin-shell.path
	# Flatcar starts docker through docker.socket; the project's Ignition enables docker.service.
	chroot "$root" systemctl disable docker.service containerd.service
	chroot "$root" systemctl disable apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer
	# No NTP server is reachable; nassella-standin-clock.service marks the clock synchronized.
	chroot "$root" systemctl mask systemd-timesyncd.service

	# The compose plugin and age, from Debian, for the sysext and the age tarball.
	mkdir -p "$root/tmp/debs"
	chroot "$root" sh -c 'cd /tmp/debs && apt-get download -q docker-compose age'
	cp "$root"/tmp/debs/*.deb "$work/"
	rm -rf "$root/tmp/debs"

	kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tail -n 1)
	log "initramfs for $kver"
	rm -f "$root"/boot/initrd.img-*
	chroot "$root" dracut --quiet --force --no-hostonly --reproducible --kver "$kver" \
		--add "ignition qemu nassella-standin" --add-drivers "$DRIVERS" "/boot/initrd.img-$kver"
	cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
	cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
	printf '%s' "$kver" >"$work/kernel-version"
	# shellcheck disable=SC2016 # dpkg-query's own format
	chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$work/packages.txt"
}

if [[ ${1:-} == customize ]]; then
	customize "$2"
	exit 0
fi

out=${1:?usage: build.sh OUT CA_CERT}
ca=$(realpath "${2:?usage: build.sh OUT CA_CERT}")
[[ $(id -u) == 0 ]] || {
	echo "build.sh runs as root (mmdebstrap, chroot)" >&2
	exit 1
}
[[ ! -e $out ]] || {
	echo "$out exists" >&2
	exit 1
}
host_tools
mkdir -p "$out"
out=$(realpath "$out")
work="$out/work"
mkdir -p "$work" "$out/sysext" "$out/age"
export NASSELLA_IMAGE_WORK=$work NASSELLA_IMAGE_CA=$ca

log "mmdebstrap $SUITE"
hook="$(printf '%q' "$here/build.sh") customize \"\$1\""
mmdebstrap --variant=minbase --components=main --mode=root --format=directory \
	--include="$(
		IFS=,
		echo "${PACKAGES[*]}"
	)" \
	--customize-hook="$hook" \
	"$SUITE" "$work/root" "$MIRROR"

# mmdebstrap's cleanup empties these; systemd applies Ignition's presets only on a first boot,
# which "uninitialized" marks.
root=$work/root
printf 'uninitialized\n' >"$root/etc/machine-id"
rm -f "$root/etc/resolv.conf"
printf 'nameserver 10.0.2.15\n' >"$root/etc/resolv.conf"
install -m 0644 "$here/rootfs/etc/hostname" "$root/etc/hostname"

log "root.img ($ROOT_SIZE, sparse)"
truncate -s "$ROOT_SIZE" "$out/root.img"
mkfs.ext4 -q -L root -U "$ROOT_UUID" -E "hash_seed=$ROOT_HASH_SEED" -d "$root" "$out/root.img"

log "compose sysext"
compose_deb=$(find "$work" -maxdepth 1 -name 'docker-compose_*.deb' | head -n 1)
compose_version=$(upstream_version "$(dpkg-deb -f "$compose_deb" Version)")
dpkg-deb -x "$compose_deb" "$work/compose"
plugin=$(find "$work/compose" -path '*/cli-plugins/docker-compose' \( -type f -o -type l \) | head -n 1)
[[ -n $plugin ]] || {
	echo "no cli-plugins/docker-compose in $compose_deb" >&2
	exit 1
}
sx=$work/sysext
# Where Flatcar's sysext bakery puts the plugin; Debian's docker CLI searches it too.
install -D -m 0755 "$(realpath "$plugin")" "$sx/usr/local/lib/docker/cli-plugins/docker-compose"
version_id=$(sed -n 's/^VERSION_ID="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/etc/os-release")
mkdir -p "$sx/usr/lib/extension-release.d"
printf 'ID=debian\nVERSION_ID=%s\nARCHITECTURE=x86-64\n' "$version_id" \
	>"$sx/usr/lib/extension-release.d/extension-release.docker-compose"
find "$sx" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mksquashfs "$sx" "$out/sysext/docker-compose-$compose_version-x86-64.raw" \
	-quiet -no-progress -noappend -all-root -no-xattrs

log "age tarball"
age_deb=$(find "$work" -maxdepth 1 -name 'age_*.deb' | head -n 1)
age_version=$(upstream_version "$(dpkg-deb -f "$age_deb" Version)")
dpkg-deb -x "$age_deb" "$work/agepkg"
mkdir -p "$work/agetar/age"
install -m 0755 "$work/agepkg/usr/bin/age" "$work/agepkg/usr/bin/age-keygen" "$work/agetar/age/"
tar -C "$work/agetar" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
	--format=gnu -cf - age | gzip -n -9 >"$out/age/age-v$age_version-linux-amd64.tar.gz"

mv "$work/vmlinuz" "$work/initrd.img" "$work/packages.txt" "$out/"
jq -n --arg compose "$compose_version" --arg age "$age_version" --arg kernel "$(cat "$work/kernel-version")" \
	--arg suite "$SUITE" \
	'{suite: $suite, kernelVersion: $kernel, composeVersion: $compose, ageVersion: $age}' >"$out/info.json"
rm -rf "$work"
log "done: $out"
