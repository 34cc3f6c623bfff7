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
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-300}"
HEALTH_INTERVAL="${HEALTH_INTERVAL:-5}"
KEEP_RELEASES="${KEEP_RELEASES:-3}"
# Where nassella-fetch installs age (a system age on PATH is used first).
BIN="${BIN:-/opt/nassella/bin}"
UPDATE_CONF="${UPDATE_CONF:-/etc/flatcar/update.conf}"
LOCALTIME="${LOCALTIME:-/etc/localtime}"
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
		  dataVolume: (if $volume == "" then null else $volume end)}
		| reduce ("disk", "requests", "restore", "identity", "dataVolume") as $k (.; if .[$k] == null then del(.[$k]) else . end)' >"$tmp"
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

unhealthy_apps() {
	jq -r 'to_entries | map(select(.value != "healthy") | "\(.key) (\(.value))") | join(", ")' "$STATE/health.json" 2>/dev/null || true
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

# Waits until every service is running and, where it has a health check, healthy.
# Records per-app health in state/health.json.
wait_healthy() {
	local dir="$1" deadline line app svc state health all_ok ps
	deadline=$(($(date +%s) + HEALTH_TIMEOUT))
	while :; do
		all_ok=1
		ps="$(compose "$dir" ps --all --format '{{.Service}} {{.State}} {{.Health}}' 2>/dev/null || true)"
		local health_obj='{}'
		while read -r app svc; do
			[ -n "$svc" ] || continue
			line="$(grep -E "^$svc " <<<"$ps" | head -n 1 || true)"
			state="$(awk '{print $2}' <<<"$line")"
			health="$(awk '{print $3}' <<<"$line")"
			local verdict="healthy"
			if [ "$state" != "running" ]; then
				verdict="${state:-missing}"
				all_ok=0
			elif [ -n "$health" ] && [ "$health" != "healthy" ]; then
				verdict="$health"
				all_ok=0
			fi
			health_obj="$(jq -c --arg a "$app" --arg v "$verdict" \
				'if (.[$a] // "healthy") == "healthy" then .[$a] = $v else . end' <<<"$health_obj")"
		done <"$dir/services.list"
		# HTTP probes from inside the Caddy container, through each app's network.
		if [ "$all_ok" = 1 ] && [ -f "$dir/probes.list" ]; then
			# The first status line counts (busybox wget -S prints one per response, redirects included).
			local code
			while read -r app url codes; do
				[ -n "$url" ] || continue
				code="$(compose "$dir" exec -T caddy wget -S -q -T 5 -O /dev/null "$url" </dev/null 2>&1 |
					awk '$1 ~ /^HTTP\// { print $2; exit }' || true)"
				if [ -z "$code" ] || [[ ",${codes:-200}," != *",$code,"* ]]; then
					all_ok=0
					health_obj="$(jq -c --arg a "$app" --arg c "${code:-no answer}" '.[$a] = ("not answering (" + $c + ")")' <<<"$health_obj")"
				fi
			done <"$dir/probes.list"
		fi
		printf '%s\n' "$health_obj" >"$STATE/health.json"
		if [ "$all_ok" = 1 ]; then return 0; fi
		if grep -qE ' (exited|dead) | unhealthy$' <<<"$ps"; then return 1; fi
		if [ "$(date +%s)" -ge "$deadline" ]; then return 1; fi
		sleep "$HEALTH_INTERVAL"
	done
}

# start_release DIR new|again: "new" pulls the images first; "again" (after a reboot, or a
# rollback) starts from the images on disk. PULL_FAILED says the pull was what failed.
PULL_FAILED=0
start_release() {
	local dir="$1" mode="$2"
	PULL_FAILED=0
	decrypt_env "$dir" || { LAST_ERROR="the secrets could not be decrypted with this server's key"; return 1; }
	compose "$dir" config -q || { LAST_ERROR="docker compose rejected the bundle"; return 1; }
	if [ "$mode" = new ] && ! compose "$dir" pull --quiet; then
		PULL_FAILED=1
		LAST_ERROR="the app images could not be downloaded"
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
		if ! CURRENT="$dir" ROOT="$ROOT" RUN="$RUN" PROJECT="$PROJECT" bash "$dir/bin/restore.sh" "${snapshot:-latest}"; then
			reason="$(jq -r '.error // empty' "$STATUS_DIR/restore.json" 2>/dev/null || true)"
			LAST_ERROR="the backup could not be restored${reason:+: $reason}; the apps were not started"
			return 1
		fi
		now >"$STATE/restored"
	fi
	compose "$dir" up -d --pull never --remove-orphans || { LAST_ERROR="the apps could not be started"; return 1; }
	wait_healthy "$dir" || { LAST_ERROR="an app did not become healthy in time"; return 1; }
}

rollback() {
	local last="$1"
	if [ -n "$last" ] && [ -d "$RELEASES/$last" ]; then
		log "applying the last good commit ${last:0:12} again"
		local keep="$LAST_ERROR"
		if start_release "$RELEASES/$last" again; then
			LAST_ERROR="$keep; the previous version is running again"
		else
			LAST_ERROR="$keep; restarting the previous version also failed: $LAST_ERROR"
		fi
	fi
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
	if [ -d "$ENV_DIR" ]; then
		if wait_healthy "$RELEASES/$LAST"; then
			all_clear health
		else
			RESULT="error"
			LAST_ERROR="an app is not healthy"
			bad="$(unhealthy_apps)"
			notify health "$bad" "An app is not healthy on $SERVER_NAME" "Not healthy: ${bad:-an app}. The server keeps checking."
		fi
		handle_requests "$RELEASES/$LAST"
	fi
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

# 4. Apply; on failure put the last good release back.
if start_release "$RELEASES/$NEW" new; then
	printf '%s\n' "$NEW" >"$STATE/applied.tmp" && mv -f "$STATE/applied.tmp" "$STATE/applied"
	now >"$STATE/applied-at"
	ln -sfn "$RELEASES/$NEW" "$ROOT/current.tmp" && mv -Tf "$ROOT/current.tmp" "$ROOT/current"
	compose "$RELEASES/$NEW" ps >/dev/null 2>&1 || true
	docker image prune -f >/dev/null 2>&1 || true
	# Keep the newest releases only (never the applied one).
	find "$RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn |
		tail -n "+$((KEEP_RELEASES + 1))" | while read -r _ old; do
		if [ "$old" != "$NEW" ]; then rm -rf "${RELEASES:?}/$old"; fi
	done
	RESULT="ok"
	LAST_ERROR=""
	log "applied ${NEW:0:12}"
	all_clear update health
	handle_requests "$RELEASES/$NEW"
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
