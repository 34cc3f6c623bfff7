#!/bin/bash
# shellcheck disable=SC2154 # dracut sets moddir
# The stand-in's additions to the initramfs, where Ignition runs on the first boot:
# - a static address on the QEMU network (brought up when the kernel command line says rd.neednet=1),
# - the stand-in internet's names in /etc/hosts (no DNS server runs in the initramfs),
# - the system trust store, which holds the test CA, so Ignition can fetch from the stand-in services,
# - a no-op setfiles: Debian's Ignition relabels after writing files; the stand-in has no SELinux.

check() {
	return 255
}

depends() {
	echo ignition systemd-networkd
}

install() {
	inst_simple "$moddir/10-nassella-standin.network" /etc/systemd/network/10-nassella-standin.network
	inst_simple "$moddir/hosts" /etc/hosts
	inst_simple "$moddir/nsswitch.conf" /etc/nsswitch.conf
	inst_script "$moddir/setfiles" /usr/sbin/setfiles
	inst_simple /etc/ssl/certs/ca-certificates.crt
	inst_simple /etc/selinux/config
}
