#!/bin/bash
# nassella restore drill: proves the backup can be restored, without touching the apps.
# Restores the newest snapshot into a throwaway folder on the data volume (outside the
# backed-up data), checks that files came back and that every database dump the backup
# hooks write is there and not empty, removes the folder, and reports the outcome as
# status.json requests.drill {id, state, at, snapshot, files, error}. Started by the
# monthly timer, or by nassella-sync for a "drill" request in requests.json.
set -euo pipefail
umask 077
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REQ="$STATUS_DIR/request-drill.json"
DRILL="$ROOT/drill"

mkdir -p "$STATUS_DIR" "$RUN"

# The request this run answers: the pending one from requests.json, else a scheduled drill.
ID=""
if [ -f "$REQ" ] && [ "$(jq -r '.state // ""' "$REQ" 2>/dev/null || true)" = running ]; then
	ID="$(jq -r '.id // ""' "$REQ")"
fi
if ! [[ "$ID" =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then ID="scheduled-$(date -u +%Y%m%dT%H%M)"; fi
SNAPSHOT=""
FILES=0

report() {
	local tmp pending
	# A drill requested while this one ran was merged into it by systemd: this outcome answers it.
	if [ "$1" != running ] && [ -f "$REQ" ]; then
		pending="$(jq -r 'select(.state == "running") | .id // empty' "$REQ" 2>/dev/null || true)"
		if [[ "$pending" =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then ID="$pending"; fi
	fi
	tmp="$(mktemp "$STATUS_DIR/.request.XXXXXX")"
	jq -n --arg id "$ID" --arg state "$1" --arg at "$(now)" --arg error "$2" --arg snapshot "$SNAPSHOT" \
		--argjson files "$FILES" \
		'{id: $id, state: $state, at: $at, snapshot: (if $snapshot == "" then null else $snapshot end),
		  files: $files, error: (if $error == "" then null else $error end)}' >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$REQ"
	put_status .requests.drill "$REQ"
}

notify() {
	local topic
	topic="$(sed -n 's/^NTFY_TOPIC=\(https:\/\/[A-Za-z0-9.:\/_-]*\)$/\1/p' "$NOTIFY_FILE" 2>/dev/null | head -n 1 || true)"
	if [ -n "$topic" ]; then
		curl -fsS --proto =https --max-time 20 -H "Title: Restore drill failed on ${HOST_TAG:-the server}" \
			-H "Priority: high" -H "Tags: warning" -d "$1" "$topic" >/dev/null || echo "nassella-drill: could not reach ntfy" >&2
	fi
}

fail() {
	echo "nassella-drill: FAILED: $1" >&2
	rm -rf "$DRILL"
	report failed "$1"
	notify "The restore drill failed: $1"
	exit 1
}

[ -f "$CURRENT/backup.conf" ] || fail "no backup target is set up"
[ -f "$ENV_FILE" ] || fail "the backup keys are not available (has the first sync run?)"
if [ -z "$RESTIC_IMAGE" ] || [ -z "$HOST_TAG" ]; then fail "backup.conf is incomplete"; fi

exec 8>"$RUN/restic.lock"
flock -w 7200 8 || fail "a backup is still running"
report running ""

restic() {
	docker run --rm -i --hostname "$HOST_TAG" --env-file "$ENV_FILE" \
		-v "$DRILL:/drill" \
		-v "$ROOT/restic-cache:/root/.cache/restic" \
		"$RESTIC_IMAGE" "$@"
}

rm -rf "$DRILL"
mkdir -p "$DRILL" "$ROOT/restic-cache"
trap 'rm -rf "$DRILL"' EXIT

if ! latest="$(restic snapshots --json --host "$HOST_TAG" --tag nassella |
	jq -c 'sort_by(.time) | last // {} | {id: (.id // ""), path: (.paths[0] // "")}')"; then
	fail "the backup repository could not be opened: wrong backup password, or the repository is damaged"
fi
SNAPSHOT="$(jq -r .id <<<"$latest")"
source_path="$(jq -r .path <<<"$latest")"
[[ "$SNAPSHOT" =~ ^[0-9a-f]{8,64}$ ]] || fail "there is no backup to restore yet"
[[ "$source_path" =~ ^/[A-Za-z0-9._/-]*$ ]] || fail "the newest snapshot does not hold the data folder"
echo "nassella-drill: restoring snapshot ${SNAPSHOT:0:8} to a throwaway folder"
restic restore "$SNAPSHOT" --target /drill --verify >&2 ||
	fail "snapshot ${SNAPSHOT:0:8} could not be restored completely: the backup repository may be damaged"
FILES="$(find "$DRILL" -type f | wc -l)"
[ "$FILES" -gt 0 ] || fail "snapshot ${SNAPSHOT:0:8} holds no files"
# Every database dump the backup hooks write must have come back, not empty.
restored="$DRILL$source_path"
while read -r dump; do
	[[ "$dump" =~ ^[a-z0-9][a-z0-9-]*/[A-Za-z0-9._/-]+$ ]] || continue
	[[ "$dump" != *..* ]] || continue
	[ -s "$restored/$dump" ] || fail "the database dump $dump is missing from snapshot ${SNAPSHOT:0:8}"
done < <(cat "$CURRENT/dumps.list" 2>/dev/null || true)
rm -rf "$DRILL"
trap - EXIT
report "done" ""
echo "nassella-drill: snapshot ${SNAPSHOT:0:8} restored $FILES files; removed again"
