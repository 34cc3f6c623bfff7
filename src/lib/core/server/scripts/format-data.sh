#!/bin/bash
# Formats the data volume only when it is blank: its first MiB is all zeros (as a new
# provider volume is) and neither blkid nor wipefs sees any filesystem, partition table or
# other signature. A volume with anything on it is never touched; if it is not the
# expected ext4 volume, the mount fails and says why.
set -euo pipefail
DEVICE="${1:?usage: nassella-format-data /dev/disk/by-id/...}"
LABEL="${2:-nassella-data}"

# Started by the device's appearance (the unit is wanted by it), so it is there.
[ -e "$DEVICE" ] || {
	echo "nassella-format-data: $DEVICE is not there" >&2
	exit 1
}

# blkid -p exits 2 when it finds no signature at all; wipefs -n lists every signature.
set +e
blkid -p -o value -s TYPE "$DEVICE" >/dev/null 2>&1
probe=$?
set -e
signatures="$(wipefs --no-act --noheadings "$DEVICE" 2>/dev/null || echo unreadable)"
zeros=no
if cmp --silent --bytes=1048576 "$DEVICE" /dev/zero; then zeros=yes; fi
if [ "$probe" -eq 2 ] && [ -z "$signatures" ] && [ "$zeros" = yes ]; then
	echo "nassella-format-data: $DEVICE is blank, creating ext4 labelled $LABEL"
	mkfs.ext4 -q -F -L "$LABEL" "$DEVICE"
else
	echo "nassella-format-data: $DEVICE already holds data; leaving it as it is"
fi
