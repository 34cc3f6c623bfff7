/**
 * Backup and restore scripts, run for real with real restic (Debian's) against a local
 * restic repository: database dump hooks, excludes, retention, status.json, a loud failure,
 * then a restore that puts the files back, feeds the dumps to the restore hooks and starts
 * the apps.
 *
 * Stand-in: only the `docker` binary, a recording script on PATH.
 * - `docker run … <restic image> <args>` runs the local restic with the --env-file values;
 *   instead of mounting volumes it rewrites container paths (`-v host:container`) to the
 *   host paths in the arguments and in the exclude file, so snapshots hold host paths.
 * - `docker compose … exec -T <db> <dump command>` prints a dump text; any other exec records
 *   its standard input (a restore hook loading a dump).
 * - other compose calls (stop, start, up) are recorded only.
 * The S3 backend is replaced by a local repository path in backup.env.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { fixture, renderTo, run } from './helpers.ts';

const T = mkdtempSync(join(tmpdir(), 'nassella-backup-'));
const SRV = join(T, 'root');
const RUN = join(T, 'run');
const BIN = join(T, 'bin');
const LOG = join(T, 'docker.log');
const REPO = join(T, 'repo');
const DATA = join(SRV, 'data');

const DOCKER_STUB = `#!/bin/bash
# Stand-in for docker (recording, path-mapping): the Docker engine cannot run here.
set -euo pipefail
echo "docker $*" >>"${LOG}"
if [ "$1" = run ]; then
	shift
	maps=()
	envfile=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--rm | -i) shift ;;
		--hostname) shift 2 ;;
		--env-file) envfile="$2"; shift 2 ;;
		-v) maps+=("$2"); shift 2 ;;
		*) break ;;
		esac
	done
	shift # the image
	args=()
	for a in "$@"; do
		for m in "\${maps[@]}"; do
			host="\${m%%:*}"; rest="\${m#*:}"; ctr="\${rest%%:*}"
			a="\${a/#$ctr/$host}"
		done
		args+=("$a")
	done
	for i in "\${!args[@]}"; do
		if [ "\${args[$i]}" = --exclude-file ]; then
			f="${T}/excludes.mapped"
			cp "\${args[$((i + 1))]}" "$f"
			for m in "\${maps[@]}"; do
				host="\${m%%:*}"; rest="\${m#*:}"; ctr="\${rest%%:*}"
				sed -i "s|^$ctr|$host|" "$f"
			done
			args[$((i + 1))]="$f"
		fi
	done
	# docker's --env-file: KEY=value to the end of the line, no quoting.
	while IFS= read -r line; do
		[ -n "$line" ] && export "\${line%%=*}=\${line#*=}"
	done <"$envfile"
	export RESTIC_CACHE_DIR="${T}/cache"
	# A mount inside another one (a stopped app's copy over its folder) is bound over the
	# host path it covers, in a mount namespace of this restic run only, as docker does.
	binds=""
	for m in "\${maps[@]}"; do
		host="\${m%%:*}"; rest="\${m#*:}"; ctr="\${rest%%:*}"
		for p in "\${maps[@]}"; do
			phost="\${p%%:*}"; prest="\${p#*:}"; pctr="\${prest%%:*}"
			if [ "$ctr" != "$pctr" ] && [[ "$ctr" == "$pctr"/* ]]; then
				binds+="mount --bind '$host' '$phost\${ctr#"$pctr"}' && "
			fi
		done
	done
	if [ -n "$binds" ]; then exec unshare -m bash -c "\${binds}exec restic \\"\\$@\\"" restic "\${args[@]}"; fi
	exec restic "\${args[@]}"
fi
if [ "$1" = compose ]; then
	case " $* " in
	*" config --services "*)
		dir=""; prev=""
		for a in "$@"; do
			if [ "$prev" = "--project-directory" ]; then dir="$a"; fi
			prev="$a"
		done
		awk '{ print $2 }' "$dir/services.list" ;;
	*" start vaultwarden "*)
		# Vaultwarden writes again as soon as it runs: the backup must hold the copy made while it was stopped.
		echo "written after the copy" >"${DATA}/vaultwarden/db.sqlite3" ;;
	*" exec -T "*)
		svc="$(sed -n 's/.* exec -T \\([^ ]*\\) .*/\\1/p' <<<"$*")"
		if [[ " $* " == *dump* ]]; then
			echo "-- dump of $svc"
		else
			cat >"${T}/restored-$svc"
		fi ;;
	esac
fi
exit 0
`;

const env = () => ({
	...process.env,
	PATH: `${BIN}:${process.env.PATH}`,
	ROOT: SRV,
	RUN,
	CURRENT: join(SRV, 'current')
});
const backupJson = () => JSON.parse(readFileSync(join(SRV, 'status/backup.json'), 'utf8'));
const restic = (...args: string[]) =>
	run('restic', ['-r', REPO, ...args], {
		env: { ...process.env, RESTIC_PASSWORD: 'test repo password', RESTIC_CACHE_DIR: join(T, 'cache') }
	});

beforeAll(async () => {
	mkdirSync(BIN, { recursive: true });
	writeFileSync(join(BIN, 'docker'), DOCKER_STUB);
	chmodSync(join(BIN, 'docker'), 0o755);
	const r = await renderTo(fixture('five-apps'));
	mkdirSync(SRV, { recursive: true });
	run('cp', ['-a', r.bundle, join(SRV, 'current')]);
	mkdirSync(join(RUN, 'env'), { recursive: true });
	writeFileSync(join(RUN, 'env/backup.env'), `RESTIC_REPOSITORY=${REPO}\nRESTIC_PASSWORD=test repo password\n`);
	for (const [p, text] of [
		['miniflux/postgres/PG_VERSION', '17'],
		['vaultwarden/db.sqlite3', 'vault data'],
		['vaultwarden/icon_cache/icon.png', 'cache'],
		['uptime-kuma/kuma.db', 'kuma data']
	] as const) {
		mkdirSync(join(DATA, p, '..'), { recursive: true });
		writeFileSync(join(DATA, p), text);
	}
	mkdirSync(join(SRV, 'status'), { recursive: true });
	writeFileSync(join(SRV, 'status/status.json'), JSON.stringify({ version: 1, result: 'ok', backup: null }));
});

describe('backup.sh and restore.sh with real restic', () => {
	it('dumps databases, stops live-file apps for the snapshot, backs up without excluded paths, records success', () => {
		const r = run('bash', [join(SRV, 'current/bin/backup.sh')], { env: env(), timeout: 120_000 });
		expect(r.code, r.stderr).toBe(0);
		expect(readFileSync(join(DATA, 'miniflux/dump/miniflux.sql'), 'utf8')).toBe('-- dump of miniflux-db\n');
		expect(backupJson()).toMatchObject({ result: 'ok', error: null });
		expect(backupJson().lastSuccess).toMatch(/^\d{4}-\d\d-\d\dT/);
		const status = JSON.parse(readFileSync(join(SRV, 'status/status.json'), 'utf8'));
		expect(status.backup.result).toBe('ok');
		const snaps = JSON.parse(restic('snapshots', '--json').stdout);
		expect(snaps).toHaveLength(1);
		// The dashboard's figures come from restic itself: the snapshot list and the repository size.
		const stats = JSON.parse(restic('stats', '--json', '--mode', 'raw-data').stdout);
		expect(backupJson().sizeBytes).toBe(stats.total_size);
		expect(backupJson().sizeBytes).toBeGreaterThan(0);
		expect(backupJson().snapshots).toEqual([{ id: snaps[0].id, time: snaps[0].time.replace(/\.\d+/, '') }]);
		expect(status.backup.snapshots).toEqual(backupJson().snapshots);
		expect(snaps[0].hostname).toBe('nassella-fixture01');
		expect(snaps[0].tags).toEqual(['nassella']);
		const files = restic('ls', 'latest').stdout;
		expect(files).toContain(join(DATA, 'vaultwarden/db.sqlite3'));
		expect(files).toContain(join(DATA, 'miniflux/dump/miniflux.sql'));
		expect(files).not.toContain('icon_cache');
		expect(files).not.toContain(join(DATA, 'miniflux/postgres'));
		const log = readFileSync(LOG, 'utf8').split('\n');
		// One app at a time, each down only while its own folder is copied, none during the upload.
		const at = (re: RegExp) => log.findIndex((l) => re.test(l));
		const snap = at(/ backup --quiet/);
		const order = [
			at(/ stop vaultwarden$/),
			at(/ start vaultwarden$/),
			at(/ stop uptime-kuma$/),
			at(/ start uptime-kuma$/),
			snap
		];
		expect(order.every((i) => i > -1)).toBe(true);
		expect([...order].sort((a, b) => a - b)).toEqual(order);
		// The snapshot holds what the app had when it stopped, not what it wrote after it started again.
		if (process.getuid?.() === 0) {
			expect(restic('dump', 'latest', join(DATA, 'vaultwarden/db.sqlite3')).stdout).toBe('vault data');
			expect(readFileSync(join(DATA, 'vaultwarden/db.sqlite3'), 'utf8')).toBe('written after the copy\n');
		}
		expect(existsSync(join(SRV, 'backup-stage'))).toBe(false);
		expect(
			log.some((l) =>
				l.includes(
					'forget --quiet --host nassella-fixture01 --tag nassella --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --prune'
				)
			)
		).toBe(true);
	});

	it('fails loudly: exit status, backup.json and status.json say so, ntfy is told, and the last success is kept', async () => {
		const last = backupJson().lastSuccess;
		// A real HTTPS endpoint standing in for the ntfy server, trusted through CURL_CA_BUNDLE.
		const ssl = run('openssl', [
			'req',
			'-x509',
			'-newkey',
			'ec',
			'-pkeyopt',
			'ec_paramgen_curve:P-256',
			'-nodes',
			'-keyout',
			join(T, 'ntfy.key'),
			'-out',
			join(T, 'ntfy.pem'),
			'-days',
			'1',
			'-subj',
			'/CN=127.0.0.1',
			'-addext',
			'subjectAltName=IP:127.0.0.1'
		]);
		expect(ssl.code, ssl.stderr).toBe(0);
		const received: { url?: string; title?: string; body: string }[] = [];
		const ntfy = createHttpsServer(
			{ key: readFileSync(join(T, 'ntfy.key')), cert: readFileSync(join(T, 'ntfy.pem')) },
			(req, res) => {
				let body = '';
				req.on('data', (c) => (body += c));
				req.on('end', () => {
					received.push({ url: req.url, title: String(req.headers.title), body });
					res.end('{}');
				});
			}
		);
		await new Promise<void>((r) => ntfy.listen(0, '127.0.0.1', r));
		const port = (ntfy.address() as { port: number }).port;
		writeFileSync(join(RUN, 'env/backup.env'), `RESTIC_REPOSITORY=${REPO}\nRESTIC_PASSWORD=wrong password\n`);
		writeFileSync(join(RUN, 'env/notify.env'), `NTFY_TOPIC=https://127.0.0.1:${port}/nassella-alerts\n`);
		const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
			const p = spawn('bash', [join(SRV, 'current/bin/backup.sh')], {
				env: { ...env(), CURL_CA_BUNDLE: join(T, 'ntfy.pem') }
			});
			let stderr = '';
			p.stderr.on('data', (d) => (stderr += d));
			const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
			p.on('close', (code) => {
				clearTimeout(timer);
				resolve({ code, stderr });
			});
		});
		ntfy.close();
		expect(received).toHaveLength(1);
		expect(received[0]).toMatchObject({ url: '/nassella-alerts', title: 'Backup failed on nassella-fixture01' });
		expect(received[0]!.body).toMatch(/^The backup failed: /);
		writeFileSync(join(RUN, 'env/backup.env'), `RESTIC_REPOSITORY=${REPO}\nRESTIC_PASSWORD=test repo password\n`);
		rmSync(join(RUN, 'env/notify.env'));
		expect(r.code).toBe(1);
		expect(r.stderr).toContain('nassella-backup: FAILED');
		// The snapshots and size of the last good run stay visible.
		expect(backupJson()).toMatchObject({ result: 'failed', lastSuccess: last, snapshots: [expect.anything()] });
		expect(backupJson().error).toMatch(/could not be opened|could not save/);
		expect(JSON.parse(readFileSync(join(SRV, 'status/status.json'), 'utf8')).backup.result).toBe('failed');
		// The stopped apps were started again even though the backup failed.
		expect(readFileSync(LOG, 'utf8').trimEnd().split('\n').at(-1)).not.toMatch(/ stop /);
	});

	it('restores the snapshot, runs the restore hooks with the dumps, then starts every app', () => {
		rmSync(join(DATA, 'vaultwarden'), { recursive: true });
		rmSync(join(DATA, 'miniflux/dump'), { recursive: true });
		writeFileSync(LOG, '');
		const r = run('bash', [join(SRV, 'current/bin/restore.sh'), 'latest'], { env: env(), timeout: 120_000 });
		expect(r.code, r.stderr).toBe(0);
		expect(readFileSync(join(DATA, 'vaultwarden/db.sqlite3'), 'utf8')).toBe('vault data');
		expect(existsSync(join(DATA, 'vaultwarden/icon_cache'))).toBe(false);
		expect(readFileSync(join(T, 'restored-miniflux-db'), 'utf8')).toBe('-- dump of miniflux-db\n');
		const log = readFileSync(LOG, 'utf8').trim().split('\n');
		// Every app stops for the restore; Caddy keeps serving status.json.
		const stop = log.findIndex((l) => / stop miniflux miniflux-db .* immich-redis$/.test(l));
		expect(log[stop]).not.toContain('caddy');
		expect(stop).toBeGreaterThan(-1);
		expect(stop).toBeLessThan(log.findIndex((l) => l.includes(' restore ')));
		expect(log.findIndex((l) => l.includes(' restore '))).toBeLessThan(
			log.findIndex((l) => l.includes('exec -T miniflux-db'))
		);
		expect(log.at(-1)).toMatch(/ up -d --remove-orphans$/);
		const report = JSON.parse(readFileSync(join(SRV, 'status/restore.json'), 'utf8'));
		expect(report).toMatchObject({ state: 'done', error: null });
		expect(report.snapshot).toMatch(/^[0-9a-f]{64}$/);
		expect(report.steps).toEqual([
			{ name: 'find the backup', state: 'done' },
			{ name: 'restore the files', state: 'done' },
			{ name: 'load the database of miniflux', state: 'done' },
			{ name: 'load the database of nextcloud', state: 'done' },
			{ name: 'load the database of immich', state: 'done' },
			{ name: 'start the apps', state: 'done' }
		]);
	});

	it('restore drill: restores the newest snapshot to a throwaway folder and checks the dumps; a missing dump fails it', () => {
		const drill = () => run('bash', [join(SRV, 'current/bin/drill.sh')], { env: env(), timeout: 120_000 });
		const ok = drill();
		expect(ok.code, ok.stderr).toBe(0);
		const report = JSON.parse(readFileSync(join(SRV, 'status/request-drill.json'), 'utf8'));
		expect(report).toMatchObject({ state: 'done', error: null });
		expect(report.id).toMatch(/^scheduled-\d{8}T\d{4}$/);
		expect(report.snapshot).toBe(JSON.parse(restic('snapshots', '--json').stdout)[0].id);
		expect(report.files).toBeGreaterThan(3);
		expect(existsSync(join(SRV, 'drill'))).toBe(false);
		expect(JSON.parse(readFileSync(join(SRV, 'status/status.json'), 'utf8')).requests.drill).toEqual(report);
		const list = join(SRV, 'current/dumps.list');
		const before = readFileSync(list, 'utf8');
		writeFileSync(list, `${before}vaultwarden/dump/vaultwarden.sql\n`);
		const missing = drill();
		writeFileSync(list, before);
		expect(missing.code).toBe(1);
		const failed = JSON.parse(readFileSync(join(SRV, 'status/request-drill.json'), 'utf8'));
		expect(failed.state).toBe('failed');
		expect(failed.error).toMatch(
			/the database dump vaultwarden\/dump\/vaultwarden.sql is missing from snapshot [0-9a-f]{8}/
		);
		expect(existsSync(join(SRV, 'drill'))).toBe(false);
	});

	it('refuses a snapshot argument that is not an id', () => {
		const r = run('bash', [join(SRV, 'current/bin/restore.sh'), '--target=/etc'], { env: env() });
		expect(r.code).toBe(2);
		expect(r.stderr).toContain('is not a snapshot id');
	});
});
