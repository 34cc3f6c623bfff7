#!/bin/bash
# nassella backup: database dumps (per-app hooks), then a restic snapshot of the data
# volume to the off-site S3 bucket, then retention. The result goes to status.json (with
# the repository's size and the newest snapshots); a failure is loud: the unit fails,
# status.json says so, and ntfy is told when set up. A pending "backup now" request
# (status/request-backup.json, started by nassella-sync) is reported done or failed.
set -euo pipefail
umask 077
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SNAPSHOTS_SHOWN="${SNAPSHOTS_SHOWN:-30}"

KEEP_DAILY="$(conf KEEP_DAILY)"
KEEP_WEEKLY="$(conf KEEP_WEEKLY)"
KEEP_MONTHLY="$(conf KEEP_MONTHLY)"
STARTED="$(now)"
SNAPSHOTS_JSON=null
SIZE_BYTES=null

mkdir -p "$STATUS_DIR" "$RUN"

record() {
	local result="$1" message="$2" prev tmp last=""
	prev=""
	if [ -s "$STATUS_DIR/backup.json" ]; then
		prev="$(jq -c 'if type == "object" then . else empty end' "$STATUS_DIR/backup.json" 2>/dev/null || true)"
	fi
	if [ -z "$prev" ] || [ "$(wc -l <<<"$prev")" != 1 ]; then prev='{}'; fi
	if [ "$result" = ok ]; then last="$(now)"; fi
	tmp="$(mktemp "$STATUS_DIR/.backup.XXXXXX")"
	jq --arg result "$result" --arg message "$message" --arg started "$STARTED" --arg finished "$(now)" \
		--arg lastSuccess "$last" --argjson snapshots "$SNAPSHOTS_JSON" --argjson size "$SIZE_BYTES" \
		'{result: $result, startedAt: $started,
		  finishedAt: (if $result == "running" then null else $finished end),
		  lastSuccess: (if $lastSuccess == "" then (.lastSuccess // null) else $lastSuccess end),
		  error: (if $message == "" then null else $message end),
		  sizeBytes: ($size // .sizeBytes // null),
		  snapshots: ($snapshots // .snapshots // null)}' <<<"$prev" >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$STATUS_DIR/backup.json"
	put_status .backup "$STATUS_DIR/backup.json"
}

# Reports a pending "backup now" request as done or failed.
finish_request() {
	local f="$STATUS_DIR/request-backup.json" tmp
	[ -f "$f" ] || return 0
	[ "$(jq -r '.state // ""' "$f" 2>/dev/null || true)" = running ] || return 0
	tmp="$(mktemp "$STATUS_DIR/.request.XXXXXX")"
	jq --arg state "$1" --arg at "$(now)" --arg error "$2" \
		'.state = $state | .at = $at | .error = (if $error == "" then null else $error end)' "$f" >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$f"
	put_status .requests.backup "$f"
}

notify() {
	local topic
	topic="$(sed -n 's/^NTFY_TOPIC=\(https:\/\/[A-Za-z0-9.:\/_-]*\)$/\1/p' "$NOTIFY_FILE" 2>/dev/null | head -n 1 || true)"
	if [ -n "$topic" ]; then
		curl -fsS --proto =https --max-time 20 -H "Title: Backup failed on ${HOST_TAG:-the server}" -H "Priority: high" \
			-H "Tags: warning" -d "$1" "$topic" >/dev/null || echo "nassella-backup: could not reach ntfy" >&2
	fi
}

fail() {
	echo "nassella-backup: FAILED: $1" >&2
	record failed "$1"
	finish_request failed "$1"
	notify "The backup failed: $1"
	exit 1
}

[ -f "$CURRENT/backup.conf" ] || fail "no backup target is set up"
[ -f "$ENV_FILE" ] || fail "the backup keys are not available (has the first sync run?)"
if [ -z "$RESTIC_IMAGE" ] || [ -z "$HOST_TAG" ]; then fail "backup.conf is incomplete"; fi

# One restic job at a time on this server (backup, drill, restore).
exec 8>"$RUN/restic.lock"
flock -w 7200 8 || fail "another backup or restore drill is still running"
record running ""

# Copies of stopped apps' folders, mounted over their place in /backup/data (see below).
STAGE="$ROOT/backup-stage"
COPIES=()
restic() {
	docker run --rm -i --hostname "$HOST_TAG" --env-file "$ENV_FILE" \
		-v "$ROOT/data:/backup/data:ro" "${COPIES[@]}" \
		-v "$CURRENT/backup-excludes.txt:/etc/nassella-excludes:ro" \
		-v "$ROOT/restic-cache:/root/.cache/restic" \
		"$RESTIC_IMAGE" "$@"
}

mkdir -p "$ROOT/data" "$ROOT/restic-cache"
touch "$CURRENT/backup-excludes.txt" 2>/dev/null || true
if [ -f "$CURRENT/hooks/pre-backup.sh" ]; then
	bash "$CURRENT/hooks/pre-backup.sh" || fail "a database dump failed"
fi
if ! restic cat config >/dev/null 2>&1; then
	restic init >/dev/null || fail "the backup repository could not be opened or created"
fi
# Apps that keep live files without a dump (backup-stop.list: "app service..." per line) are
# stopped one at a time, only while their own folder is copied aside on the data volume, and
# started again at once; the snapshot reads each copy at the app's own path (mounted over it
# in restic's container). No app is down while the others are copied or while the upload runs.
rm -rf "$STAGE"
STOPPED=()
trap 'if [ "${#STOPPED[@]}" -gt 0 ]; then compose start "${STOPPED[@]}" >/dev/null 2>&1 || true; fi; rm -rf "$STAGE"' EXIT
while read -r app rest; do
	[[ "$app" =~ ^[a-z][a-z0-9-]*$ ]] || continue
	read -r -a services <<<"$rest"
	for svc in "${services[@]}"; do [[ "$svc" =~ ^[a-z][a-z0-9_-]*$ ]] || fail "backup-stop.list names a service that is not plain"; done
	if [ ! -d "$ROOT/data/$app" ] || [ "${#services[@]}" = 0 ]; then continue; fi
	STOPPED=("${services[@]}")
	compose stop "${STOPPED[@]}" || fail "$app could not be stopped for a consistent copy of its files"
	mkdir -p "$STAGE"
	if ! cp -a "$ROOT/data/$app" "$STAGE/$app"; then
		rm -rf "${STAGE:?}/$app"
		fail "$app's files could not be copied for the backup: is the data volume full? ($(df -h --output=avail "$ROOT" | tail -n 1 | tr -d ' ') free)"
	fi
	compose start "${STOPPED[@]}" || fail "$app could not be started again after the copy of its files"
	STOPPED=()
	COPIES+=(-v "$STAGE/$app:/backup/data/$app:ro")
done < <(cat "$CURRENT/backup-stop.list" 2>/dev/null || true)
restic backup --quiet --host "$HOST_TAG" --tag nassella --exclude-file /etc/nassella-excludes /backup/data ||
	fail "restic could not save the snapshot"
rm -rf "$STAGE"
COPIES=()
restic forget --quiet --host "$HOST_TAG" --tag nassella --keep-daily "${KEEP_DAILY:-7}" \
	--keep-weekly "${KEEP_WEEKLY:-4}" --keep-monthly "${KEEP_MONTHLY:-6}" --prune || fail "old snapshots could not be pruned"
if [ "$(date -u +%u)" = 7 ]; then
	restic check --read-data-subset=5% || fail "the weekly check of the backup repository found a problem"
fi
# What the dashboard shows: the newest snapshots (fractions of seconds dropped) and the repository's size.
if snaps="$(restic snapshots --json --host "$HOST_TAG" --tag nassella |
	jq -c --argjson n "$SNAPSHOTS_SHOWN" '[sort_by(.time) | reverse | .[:$n][] |
		{id, time: (.time | sub("\\.[0-9]+"; "")), sizeBytes: (.summary.total_bytes_processed // null)} |
		with_entries(select(.value != null))]')"; then
	SNAPSHOTS_JSON="${snaps:-null}"
fi
if size="$(restic stats --json --mode raw-data | jq -c '.total_size // null')"; then
	SIZE_BYTES="${size:-null}"
fi
record ok ""
finish_request "done" ""
echo "nassella-backup: done"
