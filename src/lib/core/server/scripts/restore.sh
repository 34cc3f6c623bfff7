#!/bin/bash
# nassella restore: put a backup back. Same shape as the backup, in reverse: stop the
# apps, restore the snapshot's files onto the data volume, run each app's restore hooks
# (database loads), then start every app. Usage: restore.sh [snapshot-id|latest]
set -euo pipefail
umask 077

ROOT="${ROOT:-/var/lib/nassella}"
RUN="${RUN:-/run/nassella}"
CURRENT="${CURRENT:-$ROOT/current}"
PROJECT="${PROJECT:-nassella}"
ENV_FILE="$RUN/env/backup.env"
SNAPSHOT="${1:-latest}"

case "$SNAPSHOT" in
latest | [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) ;;
*)
	echo "nassella-restore: '$SNAPSHOT' is not a snapshot id" >&2
	exit 2
	;;
esac

conf() {
	sed -n "s/^$1=\\([A-Za-z0-9._:/@+-]*\\)\$/\\1/p" "$CURRENT/backup.conf" | head -n 1
}
RESTIC_IMAGE="$(conf RESTIC_IMAGE)"
HOST_TAG="$(conf HOST)"
if [ -z "$RESTIC_IMAGE" ] || [ -z "$HOST_TAG" ]; then
	echo "nassella-restore: backup.conf is incomplete" >&2
	exit 1
fi
[ -f "$ENV_FILE" ] || {
	echo "nassella-restore: the backup keys are not available" >&2
	exit 1
}

compose() {
	local env_args=()
	if [ -f "$RUN/env/compose.env" ]; then env_args=(--env-file "$RUN/env/compose.env"); fi
	docker compose --project-name "${PROJECT:-nassella}" --project-directory "$CURRENT" "${env_args[@]}" -f "$CURRENT/docker-compose.yml" "$@"
}

restic() {
	docker run --rm -i --hostname "$HOST_TAG" --env-file "$ENV_FILE" \
		-v "$ROOT/data:/backup/data" \
		"$RESTIC_IMAGE" "$@"
}

echo "nassella-restore: stopping the apps"
compose stop || true
mkdir -p "$ROOT/data"
echo "nassella-restore: restoring snapshot $SNAPSHOT"
restic restore "$SNAPSHOT" --host "$HOST_TAG" --tag nassella --target /
if [ -f "$CURRENT/hooks/post-restore.sh" ]; then
	echo "nassella-restore: loading database dumps"
	bash "$CURRENT/hooks/post-restore.sh"
fi
echo "nassella-restore: starting the apps"
compose up -d --remove-orphans
echo "nassella-restore: done"
