#!/bin/bash
# nassella backup: database dumps (per-app hooks), then a restic snapshot of the data
# volume to the off-site S3 bucket, then retention. The result goes to status.json; a
# failure is loud: the unit fails, status.json says so, and ntfy is told when set up.
set -euo pipefail
umask 077

ROOT="${ROOT:-/var/lib/nassella}"
RUN="${RUN:-/run/nassella}"
CURRENT="${CURRENT:-$ROOT/current}"
ENV_FILE="$RUN/env/backup.env"
STATUS_DIR="$ROOT/status"

conf() {
	# Reads KEY=value from the bundle's backup.conf without executing it.
	sed -n "s/^$1=\\([A-Za-z0-9._:/@+-]*\\)\$/\\1/p" "$CURRENT/backup.conf" | head -n 1
}

RESTIC_IMAGE="$(conf RESTIC_IMAGE)"
HOST_TAG="$(conf HOST)"
KEEP_DAILY="$(conf KEEP_DAILY)"
KEEP_WEEKLY="$(conf KEEP_WEEKLY)"
KEEP_MONTHLY="$(conf KEEP_MONTHLY)"
STARTED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

record() {
	local result="$1" message="$2" tmp
	mkdir -p "$STATUS_DIR"
	tmp="$(mktemp "$STATUS_DIR/.backup.XXXXXX")"
	jq -n --arg result "$result" --arg message "$message" --arg started "$STARTED" \
		--arg finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--arg lastSuccess "$( [ "$result" = ok ] && date -u +%Y-%m-%dT%H:%M:%SZ || jq -r '.lastSuccess // ""' "$STATUS_DIR/backup.json" 2>/dev/null || true)" \
		'{result: $result, startedAt: $started, finishedAt: $finished,
		  lastSuccess: (if $lastSuccess == "" then null else $lastSuccess end),
		  error: (if $message == "" then null else $message end)}' >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$STATUS_DIR/backup.json"
	if [ -f "$STATUS_DIR/status.json" ]; then
		tmp="$(mktemp "$STATUS_DIR/.status.XXXXXX")"
		if jq --slurpfile b "$STATUS_DIR/backup.json" '.backup = $b[0]' "$STATUS_DIR/status.json" >"$tmp"; then
			chmod 644 "$tmp"
			mv -f "$tmp" "$STATUS_DIR/status.json"
		else
			rm -f "$tmp"
		fi
	fi
}

notify() {
	local topic
	topic="$(sed -n 's/^NTFY_TOPIC=\(https:\/\/[A-Za-z0-9.:\/_-]*\)$/\1/p' "$ENV_FILE" 2>/dev/null | head -n 1 || true)"
	if [ -n "$topic" ]; then
		curl -fsS --max-time 20 -H "Title: Backup failed on $HOST_TAG" -H "Priority: high" \
			-d "$1" "$topic" >/dev/null || echo "nassella-backup: could not reach ntfy" >&2
	fi
}

fail() {
	echo "nassella-backup: FAILED: $1" >&2
	record failed "$1"
	notify "The nightly backup failed: $1"
	exit 1
}

[ -f "$CURRENT/backup.conf" ] || fail "no backup target is set up"
[ -f "$ENV_FILE" ] || fail "the backup keys are not available (has the first sync run?)"
if [ -z "$RESTIC_IMAGE" ] || [ -z "$HOST_TAG" ]; then fail "backup.conf is incomplete"; fi

restic() {
	docker run --rm -i --hostname "$HOST_TAG" --env-file "$ENV_FILE" \
		-v "$ROOT/data:/backup/data:ro" \
		-v "$CURRENT/backup-excludes.txt:/etc/nassella-excludes:ro" \
		-v "$ROOT/restic-cache:/root/.cache/restic" \
		"$RESTIC_IMAGE" "$@"
}

compose() {
	local env_args=()
	if [ -f "$RUN/env/compose.env" ]; then env_args=(--env-file "$RUN/env/compose.env"); fi
	docker compose --project-name "${PROJECT:-nassella}" --project-directory "$CURRENT" "${env_args[@]}" -f "$CURRENT/docker-compose.yml" "$@"
}

mkdir -p "$ROOT/data" "$ROOT/restic-cache"
touch "$CURRENT/backup-excludes.txt" 2>/dev/null || true
if [ -f "$CURRENT/hooks/pre-backup.sh" ]; then
	bash "$CURRENT/hooks/pre-backup.sh" || fail "a database dump failed"
fi
if ! restic cat config >/dev/null 2>&1; then
	restic init >/dev/null || fail "the backup repository could not be opened or created"
fi
# Apps that keep live files without a dump are stopped for the snapshot, and always started again.
mapfile -t STOP < <(grep -E '^[a-z][a-z0-9-]*$' "$CURRENT/backup-stop.list" 2>/dev/null || true)
if [ "${#STOP[@]}" -gt 0 ]; then
	trap 'compose start "${STOP[@]}" >/dev/null 2>&1 || true' EXIT
	compose stop "${STOP[@]}" || fail "the apps could not be stopped for a consistent snapshot"
fi
restic backup --quiet --host "$HOST_TAG" --tag nassella --exclude-file /etc/nassella-excludes /backup/data ||
	fail "restic could not save the snapshot"
if [ "${#STOP[@]}" -gt 0 ]; then
	compose start "${STOP[@]}" || fail "the apps stopped for the snapshot could not be started again"
	trap - EXIT
fi
restic forget --quiet --host "$HOST_TAG" --tag nassella --keep-daily "${KEEP_DAILY:-7}" \
	--keep-weekly "${KEEP_WEEKLY:-4}" --keep-monthly "${KEEP_MONTHLY:-6}" --prune || fail "old snapshots could not be pruned"
if [ "$(date -u +%u)" = 7 ]; then
	restic check --read-data-subset=5% || fail "the weekly check of the backup repository found a problem"
fi
record ok ""
echo "nassella-backup: done"
