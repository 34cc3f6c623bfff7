#!/bin/bash
# nassella-sync: fetch the bundle, check it, apply it, and report in status.json.
#
# Order of checks (security.md §6): the new head commit must carry an SSH signature by a
# key in the allowed-signers file placed by Ignition (never one read from the repo), and
# must descend from the last applied commit; every file must match the signed manifest.
# Then env files are decrypted, compose checks the bundle, images are pulled and the apps
# started. If anything fails after the old apps were touched, the last good commit is
# applied again. Until a bundle passes every check, whatever runs keeps running.
#
# Each app is judged on its own, with its own deadline (its start period from health.list plus
# HEALTH_TIMEOUT). When a new commit starts and some apps do not become healthy, only those
# apps go back: an app that ran before runs its previous version again, a new app is stopped.
# The other apps keep the new version, the commit counts as applied ("partial"), and
# state/held.json (failedApps in status.json) says which app, why, and what runs instead.
# Caddy is no app: if it fails, or the apps cannot be started at all, the whole last good
# commit is applied again.
#
# Only a new commit pulls images. After a reboot, and on a rollback, a release starts from
# the images already on disk. If the pull for a new commit fails (a registry outage), nothing
# running is touched and the commit is tried again at the next run.
#
# After a successful apply, each new id in the bundle's requests.json is handled once
# (backup now, restore drill: their units are started and report in status.json), and a
# refused or failed update, apps that do not come back after a restart, a failed OS update,
# or an app that stops being healthy, is posted to the ntfy topic when one is set up (once
# per problem, not on every run).
set -euo pipefail
umask 077

CONF="${NASSELLA_CONF:-/etc/nassella/sync.conf}"
# shellcheck source=/dev/null
. "$CONF"
: "${REMOTE_URL:?REMOTE_URL is not set in $CONF}"
: "${BRANCH:?BRANCH is not set in $CONF}"
ROOT="${ROOT:-/var/lib/nassella}"
ETC="${ETC:-/etc/nassella}"
RUN="${RUN:-/run/nassella}"
PROJECT="${PROJECT:-nassella}"
# Seconds each app gets on top of its own start period before it counts as failed.
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-300}"
HEALTH_INTERVAL="${HEALTH_INTERVAL:-5}"
KEEP_RELEASES="${KEEP_RELEASES:-3}"
# Where nassella-fetch installs age (a system age on PATH is used first).
BIN="${BIN:-/opt/nassella/bin}"
UPDATE_CONF="${UPDATE_CONF:-/etc/flatcar/update.conf}"
LOCALTIME="${LOCALTIME:-/etc/localtime}"
ZONEINFO="${ZONEINFO:-/usr/share/zoneinfo}"
# Where Ignition wrote nassella's units (drop-ins for the timers go next to them).
UNIT_DIR="${UNIT_DIR:-/etc/systemd/system}"
SYSTEMCTL="${SYSTEMCTL:-systemctl}"
# How a requested job is started: its systemd unit, without waiting for it to finish.
START_UNIT="${START_UNIT:-systemctl start --no-block}"

REPO="$ROOT/repo.git"
RELEASES="$ROOT/releases"
STATE="$ROOT/state"
STATUS_DIR="$ROOT/status"
ENV_DIR="$RUN/env"

# The data volume must be mounted at $ROOT: anything written to the system disk's empty
# folder there would be hidden once the volume is mounted over it. When it is missing, say
# so in plain words and stop; the mount starts sync again as soon as the volume appears.
# $RUN/data-volume-missing keeps the first time it was missed (and why) for status.json.
if [ -n "${DATA_DEVICE:-}" ] && ! mountpoint -q "$ROOT"; then
	if [ -e "$DATA_DEVICE" ]; then
		why="the data volume $DATA_DEVICE is attached but not mounted at $ROOT (see nassella-format-data.service and var-lib-nassella.mount in the journal); nothing is started until it is"
	else
		why="the data volume $DATA_DEVICE is not attached to this server; nothing is started, and nothing is written to $ROOT, until it is. Attach it in the provider's console: the server notices it and starts by itself"
	fi
	echo "nassella-sync: $why" >&2
	mkdir -p "$RUN"
	if [ ! -s "$RUN/data-volume-missing" ]; then
		printf '%s\n%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$why" >"$RUN/data-volume-missing"
	fi
	exit 1
fi
if [ -s "$RUN/data-volume-missing" ] && [ ! -s "$RUN/data-volume-found" ]; then
	date -u +%Y-%m-%dT%H:%M:%SZ >"$RUN/data-volume-found"
fi

mkdir -p "$ROOT" "$RELEASES" "$STATE" "$STATUS_DIR" "$RUN"
chmod 755 "$STATUS_DIR"

# Git reads no configuration but ours: no system or user config, no hooks from anywhere.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
# Only SSH to the git host (no ext::, no file:// or http:// remotes), unless sync.conf says otherwise.
export GIT_ALLOW_PROTOCOL="${ALLOW_PROTOCOL:-ssh}"
export GIT_SSH_COMMAND="ssh -i $ETC/deploy_key -o IdentitiesOnly=yes -o UserKnownHostsFile=$ETC/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=30"

exec 9>"$RUN/sync.lock"
if ! flock -w 900 9; then
	echo "nassella-sync: another run still holds the lock" >&2
	exit 1
fi

log() { echo "nassella-sync: $*" >&2; }

g() {
	git --git-dir="$REPO" -c core.hooksPath=/dev/null -c gpg.format=ssh \
		-c "gpg.ssh.allowedSignersFile=$ETC/allowed_signers" "$@"
}

compose() {
	local dir="$1"
	shift
	# Secrets used in commands reach Compose's interpolation only through this env file.
	local env_args=()
	if [ -f "$ENV_DIR/compose.env" ]; then env_args=(--env-file "$ENV_DIR/compose.env"); fi
	docker compose --project-name "$PROJECT" --project-directory "$dir" "${env_args[@]}" -f "$dir/docker-compose.yml" "$@"
}

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

LAST_ERROR=""
RESULT="ok"

# The reboot window locksmithd uses, as text: "Sun 04:00 for 1h (Europe/Berlin)".
reboot_window() {
	local start length tz
	start="$(sed -n 's/^LOCKSMITHD_REBOOT_WINDOW_START="\{0,1\}\([A-Za-z]\{3\} \)\{0,1\}\([0-9:]\{4,5\}\)"\{0,1\}$/\1\2/p' "$UPDATE_CONF" 2>/dev/null | head -n 1 || true)"
	length="$(sed -n 's/^LOCKSMITHD_REBOOT_WINDOW_LENGTH="\{0,1\}\([0-9]\{1,4\}[hm]\)"\{0,1\}$/\1/p' "$UPDATE_CONF" 2>/dev/null | head -n 1 || true)"
	tz="$(readlink "$LOCALTIME" 2>/dev/null | sed -n 's|^.*/zoneinfo/\([A-Za-z0-9_+/-]\{1,60\}\)$|\1|p' || true)"
	if [ -n "$start" ] && [ -n "$length" ]; then printf '%s for %s (%s)' "$start" "$length" "${tz:-UTC}"; fi
}

# The applied commit's reboot window, made the server's: update.conf for locksmithd, the time
# zone the window is in, and the backup and drill timers that run before it (window.conf).
# Each value is checked by shape; a bundle without these files changes nothing. Only what
# differs is written, and only then are systemd and locksmithd told.
apply_window() {
	local dir="$ROOT/current" tz unit at when dropin content changed="" timers=""
	[ -d "$dir" ] || return 0
	if [ -s "$dir/update.conf" ] && ! cmp -s "$dir/update.conf" "$UPDATE_CONF" &&
		! grep -qvE '^(REBOOT_STRATEGY=reboot|LOCKSMITHD_REBOOT_WINDOW_START="([A-Z][a-z]{2} )?[0-9]{2}:[0-9]{2}"|LOCKSMITHD_REBOOT_WINDOW_LENGTH=[0-9]{1,4}[hm])$' "$dir/update.conf"; then
		cp "$dir/update.conf" "$UPDATE_CONF.tmp" && mv -f "$UPDATE_CONF.tmp" "$UPDATE_CONF" && changed=1
	fi
	if [ -s "$dir/window.conf" ]; then
		tz="$(sed -n 's|^TIMEZONE=\([A-Za-z0-9_+-]\{1,30\}\(/[A-Za-z0-9_+-]\{1,30\}\)\{0,2\}\)$|\1|p' "$dir/window.conf" | head -n 1)"
		if [ -n "$tz" ] && [ -f "$ZONEINFO/$tz" ] && [ "$(readlink "$LOCALTIME" 2>/dev/null || true)" != "$ZONEINFO/$tz" ]; then
			ln -sfn "$ZONEINFO/$tz" "$LOCALTIME.tmp" && mv -Tf "$LOCALTIME.tmp" "$LOCALTIME" && changed=1
		fi
		for unit in backup drill; do
			[ -f "$UNIT_DIR/nassella-$unit.timer" ] || continue
			at="$(sed -n "s/^${unit^^}_AT=\([0-2][0-9]:[0-5][0-9]:00\)$/\1/p" "$dir/window.conf" | head -n 1)"
			[ -n "$at" ] || continue
			if [ "$unit" = backup ]; then when="*-*-* $at"; else when="*-*-01 $at"; fi
			dropin="$UNIT_DIR/nassella-$unit.timer.d/50-window.conf"
			content="$(printf '[Timer]\nOnCalendar=\nOnCalendar=%s' "$when")"
			if [ "$(cat "$dropin" 2>/dev/null || true)" != "$content" ]; then
				mkdir -p "${dropin%/*}"
				printf '%s\n' "$content" >"$dropin.tmp" && mv -f "$dropin.tmp" "$dropin"
				timers+=" nassella-$unit.timer"
			fi
		done
	fi
	if [ -n "$changed" ]; then
		log "the reboot window is now $(reboot_window)"
		$SYSTEMCTL try-restart locksmithd.service || log "locksmithd could not be restarted"
	fi
	if [ -n "$timers" ]; then
		log "the backup and drill times follow the reboot window:$timers"
		# shellcheck disable=SC2086 # one word a timer
		{ $SYSTEMCTL daemon-reload && $SYSTEMCTL try-restart $timers; } || log "the timers could not be reloaded"
	fi
}

# A JSON file from the status directory, or null when it is missing or not JSON.
json_or_null() {
	local v=""
	if [ -s "$1" ]; then v="$(jq -c 'if type == "object" then . else null end' "$1" 2>/dev/null || true)"; fi
	if [ -n "$v" ] && [ "$(wc -l <<<"$v")" = 1 ]; then echo "$v"; else echo null; fi
}

# Writes status.json atomically; Caddy serves it to the nassella app behind basic auth.
write_status() {
	local applied applied_at os_version update_status backup_json health_json tmp
	local used="" total="" identity window df_line volume
	applied="$(cat "$STATE/applied" 2>/dev/null || true)"
	applied_at="$(cat "$STATE/applied-at" 2>/dev/null || true)"
	os_version="$(sed -n 's/^VERSION=//p' /etc/os-release 2>/dev/null | tr -d '"' | head -n 1)"
	update_status="$(update_engine_client -status 2>/dev/null | grep -E '^CURRENT_OP=' | cut -d= -f2 || true)"
	backup_json="$(json_or_null "$STATUS_DIR/backup.json")"
	health_json="$(json_or_null "$STATE/health.json")"
	if [ "$health_json" = null ]; then health_json='{}'; fi
	# Bytes used and available on the data volume.
	df_line="$(df -P -B1 "$ROOT" 2>/dev/null | awk 'NR == 2 { print $3, $2 }' || true)"
	if [[ "$df_line" =~ ^([0-9]+)\ ([0-9]+)$ ]]; then
		used="${BASH_REMATCH[1]}"
		total="${BASH_REMATCH[2]}"
	fi
	identity="$(grep -m 1 -E '^age1[0-9a-z]{58}$' "$ETC/age-recipient" 2>/dev/null || true)"
	window="$(reboot_window)"
	volume=""
	if [ -s "$RUN/data-volume-found" ]; then
		volume="the data volume was not there when the server started (first missed at $(head -n 1 "$RUN/data-volume-missing")); it was mounted at $(cat "$RUN/data-volume-found")"
	fi
	tmp="$(mktemp "$STATUS_DIR/.status.XXXXXX")"
	jq -n \
		--arg commit "$applied" --arg appliedAt "$applied_at" --arg checkedAt "$(now)" \
		--arg result "$RESULT" --arg lastError "$LAST_ERROR" --arg os "${os_version:-unknown}" \
		--arg update "$update_status" --argjson backup "$backup_json" --argjson apps "$health_json" \
		--arg used "$used" --arg total "$total" --arg identity "$identity" --arg window "$window" --arg volume "$volume" \
		--argjson requestBackup "$(json_or_null "$STATUS_DIR/request-backup.json")" \
		--argjson requestDrill "$(json_or_null "$STATUS_DIR/request-drill.json")" \
		--argjson restore "$(json_or_null "$STATUS_DIR/restore.json")" \
		--argjson held "$(json_or_null "$STATE/held.json")" \
		'{version: 1, commit: (if $commit == "" then null else $commit end),
		  appliedAt: (if $appliedAt == "" then null else $appliedAt end),
		  checkedAt: $checkedAt, result: $result,
		  lastError: (if $lastError == "" then null else $lastError end),
		  apps: $apps,
		  os: ({version: $os, update: (if $update == "" then null else $update end)}
		       + (if $window == "" then {} else {rebootWindow: $window} end)),
		  backup: $backup,
		  disk: (if $used == "" then null else {data: {usedBytes: ($used | tonumber), totalBytes: ($total | tonumber)}} end),
		  requests: ({backup: $requestBackup, drill: $requestDrill} | with_entries(select(.value != null))
		             | if . == {} then null else . end),
		  restore: $restore,
		  identity: (if $identity == "" then null else $identity end),
		  dataVolume: (if $volume == "" then null else $volume end),
		  failedApps: (if ($held // {}) == {} then null else $held end)}
		| reduce ("disk", "requests", "restore", "identity", "dataVolume", "failedApps") as $k (.; if .[$k] == null then del(.[$k]) else . end)' >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$STATUS_DIR/status.json"
}

# Posts to the ntfy topic, once per problem: for each kind of problem (update, health, os)
# the last one told is kept in state/notified until that kind is fine again.
notify() {
	local kind="$1" key="$2" title="$3" message="$4" topic
	topic="$(sed -n 's/^NTFY_TOPIC=\(https:\/\/[A-Za-z0-9.:\/_-]*\)$/\1/p' "$ENV_DIR/notify.env" 2>/dev/null | head -n 1 || true)"
	[ -n "$topic" ] || return 0
	if grep -qxF "$kind $key" "$STATE/notified" 2>/dev/null; then return 0; fi
	if curl -fsS --proto =https --max-time 20 -H "Title: $title" -H "Priority: high" -H "Tags: warning" \
		-d "$message" "$topic" >/dev/null; then
		{
			grep -v "^$kind " "$STATE/notified" 2>/dev/null || true
			printf '%s %s\n' "$kind" "$key"
		} >"$STATE/notified.tmp"
		mv -f "$STATE/notified.tmp" "$STATE/notified"
	else
		log "could not reach ntfy"
	fi
}
all_clear() {
	local kind
	[ -f "$STATE/notified" ] || return 0
	for kind in "$@"; do
		grep -v "^$kind " "$STATE/notified" >"$STATE/notified.tmp" || true
		mv -f "$STATE/notified.tmp" "$STATE/notified"
	done
}

# Flatcar's update_engine: a failed OS update is told once per version it tried.
check_os_update() {
	local out op version
	out="$(update_engine_client -status 2>/dev/null || true)"
	op="$(sed -n 's/^CURRENT_OP=\([A-Z_]*\)$/\1/p' <<<"$out" | head -n 1)"
	version="$(sed -n 's/^NEW_VERSION=\([0-9.]*\)$/\1/p' <<<"$out" | head -n 1)"
	case "$op" in
	UPDATE_STATUS_REPORTING_ERROR_EVENT)
		notify os "failed:${version:-unknown}" "System update failed on $SERVER_NAME" \
			"The operating system update${version:+ to $version} failed; the server keeps running the current version and tries again later."
		;;
	UPDATE_STATUS_IDLE | UPDATE_STATUS_UPDATED_NEED_REBOOT) all_clear os ;;
	esac
}
SERVER_NAME="$(hostname 2>/dev/null || echo server)"

refuse() {
	LAST_ERROR="$1"
	RESULT="refused"
	log "refused: $1"
	notify update "refused:${NEW:-none}" "Update refused on $SERVER_NAME" "The server did not apply the new version: $1. The previous version keeps running."
	write_status
	exit 1
}

# Requests from the applied bundle's requests.json: each new id once.
request_failed() {
	local kind="$1" message="$2" tmp
	tmp="$(mktemp "$STATUS_DIR/.request.XXXXXX")"
	jq --arg at "$(now)" --arg error "$message" '.state = "failed" | .at = $at | .error = $error' \
		"$STATUS_DIR/request-$kind.json" >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$STATUS_DIR/request-$kind.json"
}
handle_requests() {
	local dir="$1" kind id tmp starter
	[ -f "$dir/requests.json" ] || return 0
	read -r -a starter <<<"$START_UNIT"
	for kind in backup drill; do
		id="$(jq -r --arg k "$kind" '.[$k] // empty | strings' "$dir/requests.json" 2>/dev/null || true)"
		[ -n "$id" ] || continue
		if ! [[ "$id" =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
			log "ignoring a $kind request whose id is not a plain id"
			continue
		fi
		if grep -qxF "$kind $id" "$STATE/requests-handled" 2>/dev/null; then continue; fi
		# Remembered before it starts: a request is never run twice, even after a crash.
		printf '%s %s\n' "$kind" "$id" >>"$STATE/requests-handled"
		tail -n 200 "$STATE/requests-handled" >"$STATE/requests-handled.tmp" &&
			mv -f "$STATE/requests-handled.tmp" "$STATE/requests-handled"
		log "starting the $kind requested as $id"
		tmp="$(mktemp "$STATUS_DIR/.request.XXXXXX")"
		jq -n --arg id "$id" --arg at "$(now)" '{id: $id, state: "running", at: $at}' >"$tmp"
		chmod 644 "$tmp"
		mv -f "$tmp" "$STATUS_DIR/request-$kind.json"
		if [ ! -f "$dir/backup.conf" ]; then
			request_failed "$kind" "no backup target is set up"
		elif ! "${starter[@]}" "nassella-$kind.service"; then
			request_failed "$kind" "the $kind could not be started"
		fi
	done
}

AGE="$(command -v age 2>/dev/null || echo "$BIN/age")"
age_decrypt() {
	"$AGE" --decrypt --identity "$ETC/age-identity"
}

# Decrypts a release's env files into a fresh directory, then swaps it in.
decrypt_env() {
	local dir="$1" f name tmpdir
	tmpdir="$(mktemp -d "$RUN/env.XXXXXX")"
	if [ -d "$dir/env" ]; then
		for f in "$dir"/env/*.env.age; do
			[ -e "$f" ] || continue
			name="$(basename "$f" .age)"
			if ! age_decrypt <"$f" >"$tmpdir/$name"; then
				rm -rf "$tmpdir"
				return 1
			fi
		done
	fi
	rm -rf "$ENV_DIR.old"
	if [ -d "$ENV_DIR" ]; then mv "$ENV_DIR" "$ENV_DIR.old"; fi
	mv "$tmpdir" "$ENV_DIR"
	rm -rf "$ENV_DIR.old"
}

# Every file in the tree is listed in MANIFEST.sha256 with the right hash, and nothing else exists.
verify_manifest() {
	local dir="$1"
	[ -f "$dir/MANIFEST.sha256" ] || return 1
	if [ -n "$(find "$dir" ! -type f ! -type d -print -quit)" ]; then
		log "the bundle contains links or special files"
		return 1
	fi
	if ! grep -qE '^[0-9a-f]{64}  [A-Za-z0-9._/-]+$' "$dir/MANIFEST.sha256" ||
		grep -vqE '^[0-9a-f]{64}  [A-Za-z0-9._/-]+$' "$dir/MANIFEST.sha256"; then
		log "the manifest is malformed"
		return 1
	fi
	if ! (cd "$dir" && sha256sum --quiet --strict -c MANIFEST.sha256 >/dev/null 2>&1); then
		log "a file does not match its manifest hash"
		return 1
	fi
	local listed present
	listed="$(cut -c67- "$dir/MANIFEST.sha256" | LC_ALL=C sort)"
	present="$(cd "$dir" && find . -type f ! -path ./MANIFEST.sha256 | sed 's|^\./||' | LC_ALL=C sort)"
	if [ "$listed" != "$present" ]; then
		log "the bundle has files the manifest does not list"
		return 1
	fi
}

# The apps of a release (first column of services.list; "nassella" is Caddy), each once.
release_apps() { awk 'NF >= 2 && !seen[$1]++ { print $1 }' "$1/services.list"; }
# The compose services of app $2 in release $1.
app_services() { awk -v a="$2" '$1 == a && NF >= 2 { print $2 }' "$1/services.list"; }
# App $2's start period in release $1 (health.list; 0 when it names none).
start_period() {
	local p
	p="$(awk -v a="$2" '$1 == a && $2 ~ /^[0-9]+$/ && length($2) <= 4 { print $2; exit }' "$1/health.list" 2>/dev/null || true)"
	echo "${p:-0}"
}

# Apps held back after a failed start: state/held.json maps each to {from, reason, commit, at},
# where "from" is the commit whose version it runs again, or "" when it is stopped.
held_json() { json_or_null "$STATE/held.json" | sed 's/^null$/{}/'; }
held_from() { jq -r --arg a "$1" '.[$a].from // empty' "$STATE/held.json" 2>/dev/null || true; }
is_held() { jq -e --arg a "$1" 'has($a)' "$STATE/held.json" >/dev/null 2>&1; }

# `compose up` stops at the first service that does not start (a database still not healthy
# when its app is started): the apps are then judged one by one, and wait_healthy starts again
# the containers left unstarted until their app's own deadline.
# When nothing of the release runs at all, the release fails as a whole.
up_failed() {
	if [ -z "$(compose "$1" ps --status running --format '{{.Service}}' 2>/dev/null || true)" ]; then
		LAST_ERROR="the apps could not be started"
		return 1
	fi
	log "not every container started at once: each app is judged on its own, within its own time"
}

# wait_healthy DIR: waits until every app of the release is running and healthy (its
# containers, their health checks, and its HTTP probe sent as Caddy sends the real request),
# each app with its own deadline. An app whose container exits or turns unhealthy fails at
# once. Records each app's verdict in state/health.json and lists the apps that failed in
# FAILED (one per line); returns 1 when any did. Held apps are reported as what they run.
FAILED=""
wait_healthy() {
	local dir="$1" started app svc line state health verdict ps code url codes host pending now
	local -A deadline=() settled=() result=() retried=()
	started="$(date +%s)"
	FAILED=""
	while read -r app; do
		[ -n "$app" ] || continue
		deadline[$app]=$((started + $(start_period "$dir" "$app") + HEALTH_TIMEOUT))
		if is_held "$app" && [ -z "$(held_from "$app")" ]; then
			settled[$app]=1
			result[$app]="stopped: $(jq -r --arg a "$app" '.[$a].reason // "it did not start"' "$STATE/held.json" | cut -c1-90)"
		fi
	done < <(release_apps "$dir")
	while :; do
		ps="$(compose "$dir" ps --all --format '{{.Service}} {{.State}} {{.Health}}' 2>/dev/null || true)"
		local -A current=()
		while read -r app svc; do
			[ -n "$svc" ] || continue
			[ -z "${settled[$app]:-}" ] || continue
			line="$(grep -E "^$svc " <<<"$ps" | head -n 1 || true)"
			state="$(awk '{print $2}' <<<"$line")"
			health="$(awk '{print $3}' <<<"$line")"
			verdict="healthy"
			if [ "$state" = created ]; then
				verdict="not started"
			elif [ "$state" != "running" ]; then
				verdict="${state:-missing}"
			elif [ -n "$health" ] && [ "$health" != "healthy" ]; then
				verdict="$health"
			fi
			if [ "${current[$app]:-healthy}" = healthy ]; then current[$app]="$verdict"; fi
		done <"$dir/services.list"
		# HTTP probes from inside the Caddy container, through each app's network, with the
		# app's host name and the headers Caddy adds, so an app set up for its https address
		# answers as it does to its visitors. The first status line counts (busybox wget -S
		# prints one per response, redirects included). A held app runs another version: its
		# containers are judged, not this release's probe.
		if [ -f "$dir/probes.list" ]; then
			while read -r app url codes host; do
				[ -n "$url" ] || continue
				[ -z "${settled[$app]:-}" ] || continue
				[ "${current[$app]:-}" = healthy ] || continue
				is_held "$app" && continue
				local headers=(--header "X-Forwarded-Proto: https")
				if [ -n "$host" ]; then headers+=(--header "Host: $host" --header "X-Forwarded-Host: $host"); fi
				code="$(compose "$dir" exec -T caddy wget -S -q -T 5 "${headers[@]}" -O /dev/null "$url" </dev/null 2>&1 |
					awk '$1 ~ /^HTTP\// { print $2; exit }' || true)"
				if [ -z "$code" ] || [[ ",${codes:-200}," != *",$code,"* ]]; then
					current[$app]="not answering (${code:-no answer})"
				fi
			done <"$dir/probes.list"
		fi
		now="$(date +%s)"
		pending=0
		for app in "${!current[@]}"; do
			verdict="${current[$app]}"
			result[$app]="$verdict"
			if [ "$verdict" = healthy ]; then
				settled[$app]=1
			elif [[ "$verdict" =~ ^(exited|dead|unhealthy|missing)$ ]] ||
				{ [ "$now" -ge "${deadline[$app]:-0}" ] && { [ "$verdict" != "not started" ] || [ -n "${retried[$app]:-}" ]; }; }; then
				settled[$app]=1
				FAILED+="$app"$'\n'
			else
				pending=1
			fi
		done
		# An app with a container compose created but did not start (a service it waits for was
		# late) is started again, its services only, until its deadline (at least once).
		for app in "${!current[@]}"; do
			if [ "${current[$app]}" != "not started" ] || [ -n "${settled[$app]:-}" ]; then continue; fi
			is_held "$app" && continue
			local app_svcs=()
			mapfile -t app_svcs < <(app_services "$dir" "$app")
			compose "$dir" up -d --pull never "${app_svcs[@]}" >&2 || true
			retried[$app]=1
		done
		local health_obj='{}'
		for app in "${!result[@]}"; do
			health_obj="$(jq -c --arg a "$app" --arg v "${result[$app]}" '.[$a] = $v' <<<"$health_obj")"
		done
		jq -S . <<<"$health_obj" >"$STATE/health.json"
		if [ "$pending" = 0 ]; then break; fi
		sleep "$HEALTH_INTERVAL"
	done
	FAILED="$(sort -u <<<"$FAILED" | sed '/^$/d')"
	[ -z "$FAILED" ]
}

# "Miniflux (not answering (502))" for each failed app, from state/health.json.
failed_list() {
	local app out=""
	for app in $FAILED; do
		out+="${out:+, }$app ($(jq -r --arg a "$app" '.[$a] // "not healthy"' "$STATE/health.json" 2>/dev/null))"
	done
	echo "$out"
}

# Starts app $1 as release $2 runs it (its env files from that release, its services only).
start_app_as() {
	local app="$1" from="$RELEASES/$2" svc f
	local svcs=()
	mapfile -t svcs < <(app_services "$from" "$app")
	[ "${#svcs[@]}" -gt 0 ] || return 1
	for svc in "${svcs[@]}"; do
		f="$from/env/$svc.env.age"
		if [ -f "$f" ]; then age_decrypt <"$f" >"$ENV_DIR/$svc.env" || return 1; fi
	done
	compose "$from" up -d --pull never --no-deps "${svcs[@]}"
}

# After a new commit started and the apps in FAILED did not become healthy: each goes back
# to what it ran before (the version it was held at, or the last applied commit's), or is
# stopped when it is new. Rewrites state/held.json with exactly these apps.
hold_back() {
	local dir="$1" last="$2" app from reason held tmp
	local svcs=()
	held='{}'
	for app in $FAILED; do
		# Held before this commit: back to what it was held at (its version then, or stopped).
		if jq -e --arg a "$app" 'has($a)' "$STATE/held.before.json" >/dev/null 2>&1; then
			from="$(jq -r --arg a "$app" '.[$a].from // empty' "$STATE/held.before.json")"
		else
			from="$last"
		fi
		if [ -n "$from" ] && { [ ! -d "$RELEASES/$from" ] || [ -z "$(app_services "$RELEASES/$from" "$app")" ]; }; then from=""; fi
		reason="$(jq -r --arg a "$app" '.[$a] // "not healthy"' "$STATE/health.json" 2>/dev/null)"
		mapfile -t svcs < <(app_services "$dir" "$app")
		if [ -n "$from" ]; then
			log "$app did not start with ${NEW:0:12} ($reason): it runs its version from ${from:0:12} again"
			# Services the app no longer had in that version are removed first.
			compose "$dir" rm -sf "${svcs[@]}" >&2 || true
			if ! start_app_as "$app" "$from" >&2; then
				log "$app could not be started as ${from:0:12} either: it is stopped"
				from=""
			fi
		else
			log "$app did not start with ${NEW:0:12} ($reason): it is stopped"
			compose "$dir" stop "${svcs[@]}" >&2 || true
		fi
		held="$(jq -c --arg a "$app" --arg from "$from" --arg reason "$reason" --arg commit "$NEW" --arg at "$(now)" \
			'.[$a] = {from: $from, reason: $reason, commit: $commit, at: $at}' <<<"$held")"
	done
	tmp="$(mktemp "$STATE/.held.XXXXXX")"
	printf '%s\n' "$held" >"$tmp"
	mv -f "$tmp" "$STATE/held.json"
}

# In plain words, what the held apps run and why.
held_summary() {
	jq -r 'to_entries | map("\(.key) did not start with the latest settings (\(.value.reason)): "
		+ (if .value.from == "" then "it is stopped" else "it runs its previous version" end))
		| join("; ")' "$STATE/held.json" 2>/dev/null || true
}

# Apps that upgrade one major version at a time (upgrades.list: "app version service=image..."
# per step, oldest first; an app's last line is this release's version). data/.nassella/versions
# keeps the version each runs and data/.nassella/steps.env the NASSELLA_STEP_* image variables
# it runs with (on the data volume, so a backup carries them to a restored server); they reach
# Compose through compose.env, so backup and restore start the same images. A new start takes
# at most one step per app, after a backup; a start after a reboot or a rollback keeps the
# images as they were.
STEPS=""
VERSIONS="$ROOT/data/.nassella/versions"
STEPS_ENV="$ROOT/data/.nassella/steps.env"
step_lines() { awk -v a="$2" '$1 == a' "$1/upgrades.list" 2>/dev/null || true; }
version_of() { awk -v a="$1" '$1 == a { print $2; exit }' "$VERSIONS" 2>/dev/null || true; }
# The variables of app $2 at version $3 in release $1, one NAME=image per line.
step_vars() {
	local prefix
	prefix="NASSELLA_STEP_$(tr 'a-z-' 'A-Z_' <<<"$2")_"
	awk -v a="$2" -v v="$3" -v p="$prefix" '$1 == a && $2 == v {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); s = toupper(kv[1]); gsub(/-/, "_", s); print p s "=" kv[2] } }' "$1/upgrades.list"
}
# Writes the step variables into compose.env: "new" picks each app's next version (STEPS lists
# "app from to" for those that change), "again" the variables the apps last ran with.
plan_upgrades() {
	local dir="$1" mode="$2" app current target chosen v
	STEPS=""
	rm -f "$RUN/chosen"
	if [ -f "$ENV_DIR/compose.env" ]; then sed -i '/^NASSELLA_STEP_/d' "$ENV_DIR/compose.env"; fi
	if [ "$mode" = again ] || [ ! -s "$dir/upgrades.list" ]; then
		if [ -s "$STEPS_ENV" ]; then grep -E '^NASSELLA_STEP_[A-Z0-9_]+=[A-Za-z0-9./:@_-]+$' "$STEPS_ENV" >>"$ENV_DIR/compose.env" || true; fi
		return 0
	fi
	while read -r app; do
		target="$(step_lines "$dir" "$app" | awk 'END { print $2 }')"
		current="$(version_of "$app")"
		if [ -z "$current" ]; then
			# Not known: a new app, or one deployed before the server kept versions (at the version
			# of the release it came with): it runs this release's version.
			chosen="$target"
		else
			chosen=""
			while read -r v; do
				if [ "$v" != "$current" ] && [ "$(printf '%s\n%s\n' "$current" "$v" | sort -V | head -n 1)" = "$current" ]; then
					chosen="$v"
					break
				fi
			done < <(step_lines "$dir" "$app" | awk '{ print $2 }')
			chosen="${chosen:-$current}"
		fi
		step_vars "$dir" "$app" "$chosen" >>"$ENV_DIR/compose.env"
		printf '%s %s\n' "$app" "$chosen" >>"$RUN/chosen"
		if [ -n "$current" ] && [ "$chosen" != "$current" ]; then STEPS+="$app $current $chosen"$'\n'; fi
	done < <(awk '$1 ~ /^[a-z0-9][a-z0-9-]*$/ && !seen[$1]++ { print $1 }' "$dir/upgrades.list")
}
# Puts app $1 back on the images it ran with before this start (state/steps.env).
keep_version() {
	local prefix tmp
	prefix="NASSELLA_STEP_$(tr 'a-z-' 'A-Z_' <<<"$1")_"
	tmp="$(mktemp "$ENV_DIR/.compose.XXXXXX")"
	{
		grep -v "^$prefix" "$ENV_DIR/compose.env" || true
		grep "^$prefix" "$STEPS_ENV" 2>/dev/null || true
	} >"$tmp"
	mv -f "$tmp" "$ENV_DIR/compose.env"
	sed -i "/^$1 /d" "$RUN/chosen" 2>/dev/null || true
	STEPS="$(awk -v a="$1" '$1 != a' <<<"$STEPS")"
}
# After a start: each app that runs its chosen version is recorded at it.
record_versions() {
	local app v
	[ -s "$RUN/chosen" ] || return 0
	while read -r app v; do
		grep -qx "$app" <<<"$FAILED" && continue
		mkdir -p "$ROOT/data/.nassella"
		{ awk -v a="$app" '$1 != a' "$VERSIONS" 2>/dev/null || true; printf '%s %s\n' "$app" "$v"; } >"$VERSIONS.tmp"
		mv -f "$VERSIONS.tmp" "$VERSIONS"
		{ grep -v "^NASSELLA_STEP_$(tr 'a-z-' 'A-Z_' <<<"$app")_" "$STEPS_ENV" 2>/dev/null || true
		  grep "^NASSELLA_STEP_$(tr 'a-z-' 'A-Z_' <<<"$app")_" "$ENV_DIR/compose.env" || true; } >"$STEPS_ENV.tmp"
		mv -f "$STEPS_ENV.tmp" "$STEPS_ENV"
	done <"$RUN/chosen"
	rm -f "$RUN/chosen"
}
# An app behind its release's version (an upgrade path not walked to its end yet).
behind() {
	local dir="$1" app
	[ -s "$dir/upgrades.list" ] || return 1
	while read -r app; do
		# Only an app whose version is known: a new one starts at this release's version.
		[ -n "$(version_of "$app")" ] || continue
		if [ "$(version_of "$app")" != "$(step_lines "$dir" "$app" | awk 'END { print $2 }')" ] &&
			! grep -qxF "$app $(version_of "$app")" "$STATE/step-failed" 2>/dev/null; then return 0; fi
	done < <(awk '!seen[$1]++ { print $1 }' "$dir/upgrades.list")
	return 1
}

# start_release DIR new|again: "new" pulls the images first and starts every app of the
# release (held apps get another try); "again" (after a reboot, or a rollback) starts from
# the images on disk, and held apps as they were held (their previous version, or not at all).
# Returns 0 when every app is healthy, 2 when only apps in FAILED are not (the rest run),
# 1 when the release as a whole failed. PULL_FAILED says the pull was what failed.
PULL_FAILED=0
start_release() {
	local dir="$1" mode="$2"
	PULL_FAILED=0
	decrypt_env "$dir" || { LAST_ERROR="the secrets could not be decrypted with this server's key"; return 1; }
	plan_upgrades "$dir" "$mode"
	compose "$dir" config -q || { LAST_ERROR="docker compose rejected the bundle"; return 1; }
	if [ "$mode" = new ] && ! compose "$dir" pull --quiet; then
		PULL_FAILED=1
		LAST_ERROR="the app images could not be downloaded"
		return 1
	fi
	# An upgrade step comes after a backup of the version that runs; without one, the app stays.
	if [ -n "$STEPS" ]; then
		local app from to
		log "upgrading step by step: $(awk 'NF == 3 { printf "%s%s %s to %s", (n++ ? ", " : ""), $1, $2, $3 }' <<<"$STEPS"); a backup first"
		local running="$ROOT/current"
		if [ -f "$running/backup.conf" ] && ! CURRENT="$running" ROOT="$ROOT" RUN="$RUN" PROJECT="$PROJECT" bash "$running/bin/backup.sh" >&2; then
			while read -r app from to; do
				[ -n "$app" ] || continue
				keep_version "$app"
				STEP_NOTE+="${STEP_NOTE:+; }$app stays on $from: the backup before its upgrade to $to failed"
			done <<<"$STEPS"
		fi
	fi
	# Data folders with the owner each app's image needs, before anything starts.
	if [ -f "$dir/bin/folders.sh" ] && ! ROOT="$ROOT" bash "$dir/bin/folders.sh" "$dir/folders.list"; then
		LAST_ERROR="the apps' data folders could not be prepared (see nassella-folders in the journal)"
		return 1
	fi
	# A reinstall or a move restores a backup once, before the apps first start. If that
	# fails, the apps are not started on the empty data volume.
	if [ -f "$ETC/restore-from-backup" ] && [ ! -f "$STATE/restored" ]; then
		local snapshot reason
		snapshot="$(sed -n 's/^SNAPSHOT=\(latest\|[0-9a-f]\{8,64\}\)$/\1/p' "$ETC/restore-from-backup" | head -n 1)"
		# Caddy alone first (it is no app: it serves status.json), so the restore's steps, or
		# its error, can be seen from the nassella app while no app runs.
		compose "$dir" up -d --pull never --no-deps caddy >&2 || log "the status page could not be started before the restore"
		if ! CURRENT="$dir" ROOT="$ROOT" RUN="$RUN" PROJECT="$PROJECT" START_APPS=0 bash "$dir/bin/restore.sh" "${snapshot:-latest}"; then
			reason="$(jq -r '.error // empty' "$STATUS_DIR/restore.json" 2>/dev/null || true)"
			LAST_ERROR="the backup could not be restored${reason:+: $reason}; the apps were not started"
			return 1
		fi
		now >"$STATE/restored"
		# The backup says which version each step-by-step app's data is at: plan again from it.
		if [ -s "$dir/upgrades.list" ]; then
			plan_upgrades "$dir" "$mode"
			if [ "$mode" = new ] && ! compose "$dir" pull --quiet; then
				PULL_FAILED=1
				LAST_ERROR="the app images could not be downloaded"
				return 1
			fi
		fi
	fi
	if [ "$mode" = again ] && [ -s "$STATE/held.json" ] && [ "$(held_json)" != '{}' ]; then
		local app from
		local svcs=()
		while read -r app; do
			is_held "$app" || mapfile -t -O "${#svcs[@]}" svcs < <(app_services "$dir" "$app")
		done < <(release_apps "$dir")
		compose "$dir" up -d --pull never --remove-orphans "${svcs[@]}" || up_failed "$dir" || return 1
		while read -r app; do
			is_held "$app" || continue
			from="$(held_from "$app")"
			if [ -n "$from" ] && [ -d "$RELEASES/$from" ]; then
				start_app_as "$app" "$from" >&2 || log "$app could not be started as ${from:0:12}"
			else
				mapfile -t svcs < <(app_services "$dir" "$app")
				compose "$dir" stop "${svcs[@]}" >&2 || true
			fi
		done < <(release_apps "$dir")
	else
		compose "$dir" up -d --pull never --remove-orphans || up_failed "$dir" || return 1
	fi
	if ! wait_healthy "$dir"; then
		# An app whose upgrade step did not start goes back to the version it ran.
		local failed_app
		for failed_app in $FAILED; do
			if grep -q "^$failed_app " <<<"$STEPS"; then
				printf '%s\n' "$(awk -v a="$failed_app" '$1 == a { print $1, $2 }' <<<"$STEPS")" >>"$STATE/step-failed"
				keep_version "$failed_app"
			fi
		done
		if grep -qx nassella <<<"$FAILED"; then
			LAST_ERROR="Caddy, which serves every app, did not start ($(jq -r '.nassella // "not healthy"' "$STATE/health.json"))"
			return 1
		fi
		LAST_ERROR="not every app became healthy in time: $(failed_list)"
		return 2
	fi
}
STEP_NOTE=""

rollback() {
	local last="$1"
	if [ -n "$last" ] && [ -d "$RELEASES/$last" ]; then
		log "applying the last good commit ${last:0:12} again"
		local keep="$LAST_ERROR" rc=0
		start_release "$RELEASES/$last" again || rc=$?
		if [ "$rc" = 0 ]; then
			LAST_ERROR="$keep; the previous version is running again"
		else
			LAST_ERROR="$keep; restarting the previous version also failed: $LAST_ERROR"
		fi
	fi
}

# apply_release DIR LAST: starts a release as new (pull, upgrade steps) and sets APPLY to what
# start_release returned. Apps held back before are started and judged like the others
# (state/held.before.json keeps what they were held at, for hold_back); apps that do not start
# go back on their own; when the release fails as a whole, the holds stand as they were.
APPLY=0
apply_release() {
	local dir="$1" last="$2"
	if [ -f "$STATE/held.json" ]; then mv -f "$STATE/held.json" "$STATE/held.before.json"; fi
	APPLY=0
	start_release "$dir" new || APPLY=$?
	if [ "$APPLY" = 0 ] || [ "$APPLY" = 2 ]; then record_versions; fi
	if [ "$APPLY" = 2 ]; then
		hold_back "$dir" "$last"
		# What the held apps run now, as the other apps' verdicts stand.
		wait_healthy "$dir" || true
	elif [ "$APPLY" != 0 ] && [ -f "$STATE/held.before.json" ]; then
		mv -f "$STATE/held.before.json" "$STATE/held.json"
	fi
	rm -f "$STATE/held.before.json"
}

LAST="$(cat "$STATE/applied" 2>/dev/null || true)"

# Docker Compose and age come from nassella-fetch, which runs before each sync until it
# succeeds. Without them nothing can start: say why (nassella-fetch wrote it) and stop.
missing_tool() {
	RESULT="error"
	LAST_ERROR="$(head -n 1 "$RUN/$1.error" 2>/dev/null || true)"
	LAST_ERROR="${LAST_ERROR:-$2}"
	log "$LAST_ERROR"
	write_status
	exit 1
}
if ! docker compose version >/dev/null 2>&1; then
	missing_tool compose "Docker Compose is not installed yet (nassella-fetch installs the Docker Compose extension)"
fi
if [ ! -x "$AGE" ]; then
	missing_tool age "age is not installed yet (nassella-fetch installs it)"
fi

# After a reboot /run is empty: bring the applied release back up before anything else.
if [ -n "$LAST" ] && [ -d "$RELEASES/$LAST" ] && [ ! -d "$ENV_DIR" ]; then
	log "starting the applied release ${LAST:0:12} after boot"
	if ! start_release "$RELEASES/$LAST" again; then
		RESULT="error"
		notify update "boot:$LAST" "Apps did not start on $SERVER_NAME" "After a restart the apps did not come back: $LAST_ERROR"
		write_status
	fi
fi

check_os_update

if [ ! -d "$REPO" ]; then
	git init --quiet --bare "$REPO"
fi

if ! g fetch --quiet --no-tags --force "$REMOTE_URL" "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH"; then
	LAST_ERROR="the git host could not be reached or refused the deploy key"
	RESULT="error"
	write_status
	exit 1
fi
NEW="$(g rev-parse --verify --quiet "refs/remotes/origin/$BRANCH^{commit}")" || refuse "the branch $BRANCH has no commit"

if [ "$NEW" = "$LAST" ]; then
	# An upgrade path not walked to its end: the next step, as a new start of the same release.
	if [ -d "$ENV_DIR" ] && [ -d "$RELEASES/$LAST" ] && behind "$RELEASES/$LAST"; then
		apply_release "$RELEASES/$LAST" "$LAST"
		if [ "$APPLY" = 1 ]; then
			log "the upgrade step could not start ($LAST_ERROR); starting the release as it was"
			start_release "$RELEASES/$LAST" again || true
		fi
	fi
	if [ -d "$ENV_DIR" ]; then
		if [ -n "$STEP_NOTE" ]; then
			RESULT="error"
			LAST_ERROR="$STEP_NOTE"
		elif wait_healthy "$RELEASES/$LAST"; then
			all_clear health
			if [ "$(held_json)" != '{}' ]; then
				RESULT="partial"
				LAST_ERROR="$(held_summary)"
			fi
		else
			RESULT="error"
			LAST_ERROR="an app is not healthy"
			bad="$(failed_list)"
			notify health "$bad" "An app is not healthy on $SERVER_NAME" "Not healthy: ${bad:-an app}. The server keeps checking."
		fi
		handle_requests "$RELEASES/$LAST"
	fi
	apply_window
	write_status
	exit 0
fi

if [ "$NEW" = "$(cat "$STATE/failed" 2>/dev/null || true)" ]; then
	RESULT="error"
	LAST_ERROR="commit ${NEW:0:12} failed before and is not tried again; the previous version keeps running"
	write_status
	exit 1
fi

# 1. Signature: an SSH signature (not OpenPGP, not X.509) by an allowed key.
if ! g cat-file commit "$NEW" | sed -n '/^$/q;p' | grep -q '^gpgsig -----BEGIN SSH SIGNATURE-----$'; then
	refuse "commit ${NEW:0:12} is not signed with an SSH signature"
fi
if ! g verify-commit "$NEW" >/dev/null 2>&1; then
	refuse "commit ${NEW:0:12} is not signed by a key this server trusts"
fi
# 2. No rollback, no rewritten history.
if [ -n "$LAST" ] && ! g merge-base --is-ancestor "$LAST" "$NEW"; then
	refuse "commit ${NEW:0:12} does not build on the applied commit ${LAST:0:12} (history was rewritten or rolled back)"
fi
# 3. Unpack and check every file against the manifest.
STAGE="$RELEASES/.stage-$NEW"
rm -rf "$STAGE"
mkdir -p "$STAGE"
g archive --format=tar "$NEW" | tar -x -C "$STAGE" --no-same-owner
if ! verify_manifest "$STAGE"; then
	rm -rf "$STAGE"
	refuse "commit ${NEW:0:12} has files that do not match its manifest"
fi
rm -rf "${RELEASES:?}/$NEW"
mv "$STAGE" "$RELEASES/$NEW"

# 4. Apply. Apps that do not start go back on their own (hold_back); if the release as a
# whole fails, the last good release is put back.
# A new commit gives every app another try: apps held back before are started and judged
# like the others (state/held.before.json keeps what they were held at, for hold_back).
rm -f "$STATE/step-failed"
apply_release "$RELEASES/$NEW" "$LAST"
if [ "$APPLY" = 0 ] || [ "$APPLY" = 2 ]; then
	printf '%s\n' "$NEW" >"$STATE/applied.tmp" && mv -f "$STATE/applied.tmp" "$STATE/applied"
	now >"$STATE/applied-at"
	ln -sfn "$RELEASES/$NEW" "$ROOT/current.tmp" && mv -Tf "$ROOT/current.tmp" "$ROOT/current"
	compose "$RELEASES/$NEW" ps >/dev/null 2>&1 || true
	docker image prune -f >/dev/null 2>&1 || true
	# Keep the newest releases only (never the applied one, nor one a held app runs).
	keep_held="$(jq -r '.[].from' "$STATE/held.json" 2>/dev/null || true)"
	find "$RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn |
		tail -n "+$((KEEP_RELEASES + 1))" | while read -r _ old; do
		if [ "$old" != "$NEW" ] && ! grep -qxF "$old" <<<"$keep_held"; then rm -rf "${RELEASES:?}/$old"; fi
	done
	if [ "$APPLY" = 2 ]; then
		RESULT="partial"
		LAST_ERROR="$(held_summary); the other apps run the new settings${STEP_NOTE:+; $STEP_NOTE}"
		log "applied ${NEW:0:12} except: $LAST_ERROR"
		notify update "partial:$NEW" "An app did not start on $SERVER_NAME" "$LAST_ERROR"
		all_clear health
	else
		RESULT="ok"
		LAST_ERROR="$STEP_NOTE"
		log "applied ${NEW:0:12}"
		all_clear update health
	fi
	handle_requests "$RELEASES/$NEW"
	apply_window
	write_status
	exit 0
fi
RESULT="error"
if [ "$PULL_FAILED" = 1 ]; then
	# A registry outage is no fault of the commit: the running apps were not touched (only the
	# env files, which are put back), nothing is rolled back, and the next run tries again.
	if [ -n "$LAST" ] && [ -d "$RELEASES/$LAST" ]; then
		decrypt_env "$RELEASES/$LAST" || log "the env files of the running version could not be put back"
	fi
	LAST_ERROR="the app images could not be downloaded for commit ${NEW:0:12} (is the image registry reachable?); the running version continues, and the update is tried again at the next check"
	log "$LAST_ERROR"
	write_status
	exit 1
fi
log "commit ${NEW:0:12} failed: $LAST_ERROR"
rollback "$LAST"
printf '%s\n' "$NEW" >"$STATE/failed"
notify update "failed:$NEW" "Update failed on $SERVER_NAME" "The new version could not be applied: $LAST_ERROR"
write_status
exit 1
