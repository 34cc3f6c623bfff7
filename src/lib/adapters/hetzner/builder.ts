/**
 * The API-only way onto Flatcar on Hetzner (experimental; see README.md here). A temporary
 * builder server boots a stock Ubuntu image; its cloud-init user data downloads Flatcar's
 * Hetzner image, checks its published SHA-512, copies a static busybox into RAM, remounts the
 * root file system read-only, writes the image over its own disk from RAM and powers off.
 * A snapshot of that disk is a never-booted Flatcar: later servers boot it with their own
 * Ignition config as user data.
 */

export type FlatcarChannel = 'stable' | 'beta' | 'lts';

export function flatcarHetznerImageUrl(channel: FlatcarChannel, arch: 'x86' | 'arm'): string {
	const board = arch === 'arm' ? 'arm64-usr' : 'amd64-usr';
	return `https://${channel}.release.flatcar-linux.net/${board}/current/flatcar_production_hetzner_image.bin.bz2`;
}

/** The builder's cloud-config. On any failure it reboots into Ubuntu instead of powering off, so no snapshot is taken. */
export function builderUserData(channel: FlatcarChannel, arch: 'x86' | 'arm'): string {
	const url = flatcarHetznerImageUrl(channel, arch);
	const script = [
		'#!/bin/bash',
		'set -euo pipefail',
		"trap 'echo nassella-builder: failed >&2; sleep 5; reboot' ERR",
		`URL='${url}'`,
		'W=/run/nassella-flatcar',
		'mkdir -p "$W"',
		'mount -t tmpfs -o size=1800M tmpfs "$W"',
		'export DEBIAN_FRONTEND=noninteractive',
		'apt-get -qq update && apt-get -qq install -y busybox-static curl',
		'cp /bin/busybox "$W/busybox"',
		'curl -fsSL --retry 5 -o "$W/image.bin.bz2" "$URL"',
		'curl -fsSL --retry 5 -o "$W/DIGESTS" "$URL.DIGESTS"',
		'want=$(grep -A1 "SHA512 HASH" "$W/DIGESTS" | grep flatcar_production_hetzner_image.bin.bz2 | head -n1 | cut -d" " -f1)',
		'have=$(sha512sum "$W/image.bin.bz2" | cut -d" " -f1)',
		'test -n "$want" && test "$want" = "$have"',
		'disk=$(lsblk -ndo PKNAME "$(findmnt -no SOURCE /)")',
		'test -b "/dev/$disk"',
		'trap - ERR',
		'sync',
		'echo 1 > /proc/sys/kernel/sysrq',
		'echo u > /proc/sysrq-trigger',
		'sleep 2',
		// From here on only RAM-resident code runs: busybox from tmpfs, nothing from the disk being overwritten.
		'exec "$W/busybox" sh -c "$W/busybox bunzip2 -c $W/image.bin.bz2 | $W/busybox dd of=/dev/$disk bs=4M; $W/busybox sync; echo o > /proc/sysrq-trigger"'
	].join('\n');
	return [
		'#cloud-config',
		'# nassella: writes Flatcar Container Linux onto this disk, then powers off for a snapshot.',
		'write_files:',
		'  - path: /run/nassella-write-flatcar.sh',
		"    permissions: '0700'",
		'    content: |',
		...script.split('\n').map((l) => '      ' + l),
		'runcmd:',
		'  - [/run/nassella-write-flatcar.sh]',
		''
	].join('\n');
}
