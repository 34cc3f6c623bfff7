#!/bin/bash
# shellcheck disable=SC2034
# Sourced by backup.sh, drill.sh and restore.sh (never run on its own): where nassella keeps
# its files, and the helpers the three use alike.

ROOT="${ROOT:-/var/lib/nassella}"
RUN="${RUN:-/run/nassella}"
CURRENT="${CURRENT:-$ROOT/current}"
PROJECT="${PROJECT:-nassella}"
ENV_FILE="$RUN/env/backup.env"
NOTIFY_FILE="$RUN/env/notify.env"
STATUS_DIR="$ROOT/status"

# Reads KEY=value from the bundle's backup.conf without executing it.
conf() {
	sed -n "s/^$1=\\([A-Za-z0-9._:/@+-]*\\)\$/\\1/p" "$CURRENT/backup.conf" 2>/dev/null | head -n 1
}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

RESTIC_IMAGE="$(conf RESTIC_IMAGE)"
HOST_TAG="$(conf HOST)"

# Sets one key of status.json to the JSON in a file, atomically (no-op before the first sync).
put_status() {
	local key="$1" file="$2" tmp
	[ -f "$STATUS_DIR/status.json" ] || return 0
	tmp="$(mktemp "$STATUS_DIR/.status.XXXXXX")"
	if jq --slurpfile v "$file" "$key = \$v[0]" "$STATUS_DIR/status.json" >"$tmp"; then
		chmod 644 "$tmp"
		mv -f "$tmp" "$STATUS_DIR/status.json"
	else
		rm -f "$tmp"
	fi
}

# Docker Compose on the applied release, with the env file that carries secrets used in commands.
compose() {
	local env_args=()
	if [ -f "$RUN/env/compose.env" ]; then env_args=(--env-file "$RUN/env/compose.env"); fi
	docker compose --project-name "$PROJECT" --project-directory "$CURRENT" "${env_args[@]}" -f "$CURRENT/docker-compose.yml" "$@"
}
