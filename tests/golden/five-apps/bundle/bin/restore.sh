#!/bin/bash
# nassella restore: put a backup back. Same shape as the backup, in reverse: stop the
# apps, find the snapshot, restore its files onto the data volume, run each app's restore
# hooks (database loads), then start every app. Usage: restore.sh [snapshot-id|latest]
#
# Each step is reported in status/restore.json (and status.json `restore`). Any failure
# stops there with a plain reason: the apps are never started on a data volume the
# restore could not fill (a wrong backup password, a damaged repository, a missing snapshot).
set -euo pipefail
umask 077
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SNAPSHOT="${1:-latest}"

if ! [[ "$SNAPSHOT" =~ ^(latest|[0-9a-f]{8,64})$ ]]; then
	echo "nassella-restore: '$SNAPSHOT' is not a snapshot id" >&2
	exit 2
fi

mkdir -p "$STATUS_DIR" "$RUN"
NAMES=()
STATES=()
FOUND=""

# Writes restore.json: overall state, the snapshot, the steps reached so far, the error.
report() {
	local tmp steps i
	steps="$(for i in "${!NAMES[@]}"; do printf '%s\t%s\n' "${NAMES[$i]}" "${STATES[$i]}"; done |
		jq -R -s -c 'split("\n") | map(select(. != "") | split("\t") | {name: .[0], state: .[1]})')"
	tmp="$(mktemp "$STATUS_DIR/.restore.XXXXXX")"
	jq -n --arg state "$1" --arg error "$2" --arg snapshot "${FOUND:-$SNAPSHOT}" --argjson steps "$steps" \
		'{state: $state, snapshot: $snapshot, steps: $steps, error: (if $error == "" then null else $error end)}' >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$STATUS_DIR/restore.json"
	put_status .restore "$STATUS_DIR/restore.json"
}

step() {
	NAMES+=("$1")
	STATES+=(running)
	echo "nassella-restore: $1" >&2
	report restoring ""
}
step_done() {
	STATES[${#STATES[@]} - 1]="done"
	report restoring ""
}
fail() {
	if [ "${#STATES[@]}" -gt 0 ]; then STATES[${#STATES[@]} - 1]=failed; fi
	echo "nassella-restore: FAILED: $1" >&2
	report failed "$1"
	exit 1
}

step "find the backup"
if [ -z "$RESTIC_IMAGE" ] || [ -z "$HOST_TAG" ]; then fail "this server has no backup settings to restore from"; fi
[ -f "$ENV_FILE" ] || fail "the backup keys are not available on this server"

restic() {
	docker run --rm -i --hostname "$HOST_TAG" --env-file "$ENV_FILE" \
		-v "$ROOT/data:/backup/data" \
		-v "$ROOT/restic-cache:/root/.cache/restic" \
		"$RESTIC_IMAGE" "$@"
}

exec 8>"$RUN/restic.lock"
flock -w 7200 8 || fail "a backup or restore drill is still running"
mkdir -p "$ROOT/data" "$ROOT/restic-cache"

ERR="$(mktemp "$RUN/restore-err.XXXXXX")"
trap 'rm -f "$ERR"' EXIT
if ! list="$(restic snapshots --json --host "$HOST_TAG" --tag nassella 2>"$ERR")"; then
	if grep -q 'wrong password' "$ERR"; then
		fail "the backup password does not open the backup repository (wrong restic password)"
	elif grep -qiE 'unable to open config|is there a repository|does not exist|no such file' "$ERR"; then
		fail "no backup repository was found at the backup location"
	else
		fail "the backup repository could not be read; it may be damaged"
	fi
fi
FOUND="$(jq -r --arg want "$SNAPSHOT" '[sort_by(.time)[] | select($want == "latest" or (.id | startswith($want)))] |
	last | .id // ""' <<<"$list" 2>/dev/null || true)"
if ! [[ "$FOUND" =~ ^[0-9a-f]{64}$ ]]; then
	FOUND=""
	if [ "$SNAPSHOT" = latest ]; then fail "the backup repository holds no snapshot of this server yet"; fi
	fail "snapshot $SNAPSHOT is not in the backup repository"
fi
step_done

step "restore the files"
# A restore onto a running server: the apps stop first (a new server has none running yet).
# Caddy keeps serving status.json.
mapfile -t APP_SERVICES < <(compose config --services 2>/dev/null | grep -E '^[a-z0-9][a-z0-9_-]*$' | grep -vx caddy || true)
if [ "${#APP_SERVICES[@]}" -gt 0 ]; then compose stop "${APP_SERVICES[@]}" >&2 || true; fi
if ! restic restore "$FOUND" --host "$HOST_TAG" --tag nassella --target / --verify >&2 2>"$ERR"; then
	fail "the files of snapshot ${FOUND:0:8} could not be restored completely; the backup repository may be damaged"
fi
if [ -z "$(find "$ROOT/data" -type f -print -quit)" ]; then
	fail "snapshot ${FOUND:0:8} holds no files"
fi
# A backup from before an app declared its folders' owner comes back owned as it was then.
if [ -f "$CURRENT/bin/folders.sh" ] && ! ROOT="$ROOT" bash "$CURRENT/bin/folders.sh" "$CURRENT/folders.list" >&2; then
	fail "the apps' data folders could not be given to their owners"
fi
step_done

if [ -f "$CURRENT/hooks/post-restore.sh" ]; then
	mapfile -t HOOK_APPS < <(bash "$CURRENT/hooks/post-restore.sh" --apps | grep -E '^[a-z][a-z0-9-]*$' || true)
	for app in "${HOOK_APPS[@]}"; do
		step "load the database of $app"
		bash "$CURRENT/hooks/post-restore.sh" "$app" >&2 || fail "the database of $app could not be loaded from the backup"
		step_done
	done
fi

# nassella-sync restoring on a new server starts the apps itself, with the versions the backup holds.
if [ "${START_APPS:-1}" != 0 ]; then
	step "start the apps"
	compose up -d --remove-orphans >&2 || fail "the apps could not be started after the restore"
	step_done
fi
report "done" ""
echo "nassella-restore: done" >&2
