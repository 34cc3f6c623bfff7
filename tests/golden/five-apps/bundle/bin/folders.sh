#!/bin/bash
# nassella folders: makes each app's declared data folders (folders.list in the bundle: "app
# path uid gid mode" per line) with their owner and mode, before the apps start: on a first
# deploy, after a restore, after a move. Docker would create a missing bind-mount folder owned
# by root, which an image running as another user cannot write to.
#
# The folders belong to the apps, which could put links there: no part of a path may be a
# link (nothing is followed out of the data directory). A folder whose owner is wrong (made
# by Docker earlier, or restored from an older backup) is given, with what it holds, to the
# declared owner; one that is right is left as it is.
set -euo pipefail

ROOT="${ROOT:-/var/lib/nassella}"
LIST="${1:?usage: folders.sh FOLDERS_LIST}"
[ -f "$LIST" ] || exit 0

status=0
while read -r app path uid gid mode; do
	[ -n "$app" ] || continue
	if ! [[ "$app" =~ ^[a-z0-9][a-z0-9-]{0,62}$ && "$path" =~ ^[a-z0-9][a-z0-9._-]{0,62}(/[a-z0-9][a-z0-9._-]{0,62}){0,3}$ &&
		"$uid" =~ ^[0-9]{1,5}$ && "$gid" =~ ^[0-9]{1,5}$ && "$mode" =~ ^0[0-7]{3}$ ]]; then
		echo "nassella-folders: a line of folders.list is not plain (app, relative path, uid, gid, mode); it is skipped" >&2
		status=1
		continue
	fi
	dir="$ROOT/data/$app"
	mkdir -p "$ROOT/data"
	linked=0
	IFS=/ read -r -a parts <<<"$path"
	for part in "" "${parts[@]}"; do
		if [ -n "$part" ]; then dir="$dir/$part"; fi
		if [ -L "$dir" ]; then
			linked=1
			break
		fi
		if [ ! -d "$dir" ]; then mkdir -m 0755 "$dir"; fi
	done
	if [ "$linked" = 1 ]; then
		echo "nassella-folders: $dir is a link, not a folder; $app's folder $path is left alone" >&2
		status=1
		continue
	fi
	if [ "$(stat -c '%u:%g' "$dir")" != "$uid:$gid" ]; then
		chown -R -P "$uid:$gid" "$dir"
		echo "nassella-folders: $app's folder $path now belongs to $uid:$gid" >&2
	fi
	chmod "$mode" "$dir"
done <"$LIST"
exit "$status"
