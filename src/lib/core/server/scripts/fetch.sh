#!/bin/bash
# nassella-fetch: installs what the server needs beyond Flatcar, each file checked against the
# sha256 pinned in sync.conf: the Docker Compose extension (a systemd-sysext image, linked from
# /etc/extensions and merged with systemd-sysext) and age (from its release tarball, to
# /opt/nassella/bin/age; it decrypts the bundle's env files).
#
# Runs on the booted server (not in Ignition), so a failed or wrong download never stops the
# boot. It is said in plain words in the journal and in $RUN/<name>.error, which nassella-sync
# puts into status.json; the unit then fails and runs again before the next sync (every 10
# minutes). Installed files are checked again at every run and downloaded only when missing
# or different.
set -euo pipefail
umask 022

CONF="${NASSELLA_CONF:-/etc/nassella/sync.conf}"
# shellcheck source=/dev/null
. "$CONF"
RUN="${RUN:-/run/nassella}"
BIN="${BIN:-/opt/nassella/bin}"
EXT_DIR="${EXT_DIR:-/opt/extensions/docker-compose}"
EXT_LINK="${EXT_LINK:-/etc/extensions/docker-compose.raw}"
SYSEXT_REFRESH="${SYSEXT_REFRESH:-systemd-sysext refresh}"
: "${COMPOSE_FILE:?COMPOSE_FILE is not set in $CONF}"
: "${COMPOSE_URL:?COMPOSE_URL is not set in $CONF}"
# Empty while nassella knows no checked hash for this version: HTTPS is then the only check.
: "${COMPOSE_SHA256?COMPOSE_SHA256 is not set in $CONF}"
: "${AGE_URL:?AGE_URL is not set in $CONF}"
: "${AGE_SHA256:?AGE_SHA256 is not set in $CONF}"

mkdir -p "$RUN"
log() { echo "nassella-fetch: $*" >&2; }
sha() { sha256sum "$1" | cut -c1-64; }
REASON=""

# download URL SHA256 FILE: curl with retries (growing pauses) and timeouts, then the hash.
# On failure FILE is removed and REASON says why, in words.
download() {
	local url="$1" want="$2" out="$3" code err got
	err="$(mktemp "$RUN/fetch.XXXXXX")"
	if ! code="$(curl --proto =https --proto-redir =https --tlsv1.2 --fail --silent --show-error --location \
		--retry 5 --retry-connrefused --retry-max-time 300 --connect-timeout 20 --max-time 1800 \
		--speed-limit 1024 --speed-time 60 --write-out '%{http_code}' --output "$out" "$url" 2>"$err")"; then
		if [[ "$code" =~ ^[1-9][0-9]{2}$ ]]; then
			REASON="the download server answered HTTP $code for $url"
		else
			REASON="$url could not be reached ($(tail -n 1 "$err" | sed 's/^curl: ([0-9]*) //' | cut -c1-200))"
		fi
		rm -f "$err" "$out"
		return 1
	fi
	rm -f "$err"
	got="$(sha "$out")"
	if [ -z "$want" ]; then
		log "$url has no pinned sha256; it was checked by HTTPS alone (its sha256 is $got)"
	elif [ "$got" != "$want" ]; then
		REASON="the file from $url is not the expected one (its sha256 is $got; the settings pin $want)"
		rm -f "$out"
		return 1
	fi
}

# Records the outcome for nassella-sync: the error file holds one plain sentence, or is removed.
outcome() {
	local name="$1" message="$2"
	if [ -z "$message" ]; then
		rm -f "$RUN/$name.error"
		return 0
	fi
	log "$message"
	printf '%s; the server tries again at its next check\n' "$message" >"$RUN/$name.error"
}

install_compose() {
	local target="$EXT_DIR/$COMPOSE_FILE" tmp changed=0 refresh
	if [ ! -s "$target" ] || { [ -n "$COMPOSE_SHA256" ] && [ "$(sha "$target")" != "$COMPOSE_SHA256" ]; }; then
		mkdir -p "$EXT_DIR"
		tmp="$(mktemp "$EXT_DIR/.download.XXXXXX")"
		if ! download "$COMPOSE_URL" "$COMPOSE_SHA256" "$tmp"; then
			outcome compose "the Docker Compose extension could not be downloaded: $REASON"
			return 1
		fi
		chmod 644 "$tmp"
		mv -f "$tmp" "$target"
		log "installed $target"
		changed=1
	fi
	if [ "$(readlink "$EXT_LINK" 2>/dev/null || true)" != "$target" ]; then
		mkdir -p "$(dirname "$EXT_LINK")"
		ln -sfn "$target" "$EXT_LINK"
		changed=1
	fi
	if [ "$changed" = 1 ] || ! docker compose version >/dev/null 2>&1; then
		read -r -a refresh <<<"$SYSEXT_REFRESH"
		if ! "${refresh[@]}" >&2; then
			outcome compose "the Docker Compose extension was downloaded, but systemd-sysext could not add it to the system"
			return 1
		fi
	fi
	if ! docker compose version >/dev/null 2>&1; then
		outcome compose "the Docker Compose extension is installed, but docker compose does not run"
		return 1
	fi
	# Older versions of the extension go.
	find "$EXT_DIR" -maxdepth 1 -type f -name 'docker-compose-*.raw' ! -name "$COMPOSE_FILE" -delete
	outcome compose ""
}

install_age() {
	local target="$BIN/age" stamp="$BIN/.age.sha256" tmp dir
	# The stamp holds the tarball's hash and the installed program's hash.
	if [ -x "$target" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$AGE_SHA256 $(sha "$target")" ]; then
		outcome age ""
		return 0
	fi
	mkdir -p "$BIN"
	tmp="$(mktemp "$BIN/.age-download.XXXXXX")"
	if ! download "$AGE_URL" "$AGE_SHA256" "$tmp"; then
		outcome age "age (which decrypts the app settings) could not be downloaded: $REASON"
		return 1
	fi
	dir="$(mktemp -d "$BIN/.age-unpack.XXXXXX")"
	if ! tar -xzf "$tmp" -C "$dir" --no-same-owner age/age 2>/dev/null || [ ! -f "$dir/age/age" ]; then
		rm -rf "$tmp" "$dir"
		outcome age "age could not be installed: the download from $AGE_URL has no age/age in it"
		return 1
	fi
	install -m 0755 "$dir/age/age" "$target.new"
	mv -f "$target.new" "$target"
	printf '%s %s\n' "$AGE_SHA256" "$(sha "$target")" >"$stamp"
	rm -rf "$tmp" "$dir"
	log "installed $target"
	outcome age ""
}

status=0
install_compose || status=1
install_age || status=1
exit "$status"
