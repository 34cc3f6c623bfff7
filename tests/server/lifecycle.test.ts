/**
 * A server's life after the deploy, run for real: nassella-sync (from the rendered Ignition)
 * applies signed commits from a real git repository, decrypts the env files with real age,
 * handles requests.json (backup now, restore drill) by starting the generated units, and the
 * bundle's backup, drill and restore scripts run real restic (Debian's) against a local
 * repository. Then a new server is created with "restore from backup" and the same identity:
 * it restores before any app starts, and the restored tree equals the original; a wrong
 * backup password or a damaged repository stops it with a clear error and no app started.
 * Every status.json is read back with the app's own parser, parseServerStatus.
 *
 * Stand-ins, for what cannot run here:
 * - `docker` (there is no Docker engine): a script on PATH. `docker run <restic image>` runs
 *   the local restic, with container paths (`-v host:container`) rewritten to host paths and
 *   the S3 repository replaced by the local one; `compose ps` answers from services.list
 *   (healthy unless the test marks a service); a dump command prints the stand-in database's
 *   content; any other `exec` (a restore hook) records its standard input.
 * - `systemctl start --no-block` (no systemd as PID 1 here): START_UNIT runs the generated
 *   unit's ExecStart line right away, with the test's paths.
 * - `mountpoint`: the test's data folder is no mount point, so it answers "mounted".
 * - `update_engine_client` (Flatcar's updater, not on this machine): prints the file
 *   update-status when the test writes one, else fails as a missing updater would.
 * The old and the new server use the same paths in turn (as /var/lib/nassella is the same on
 * both): the old server's directories are moved aside before the new one boots.
 */
import { describe, expect, it, beforeAll, afterAll, vi } from 'vitest';
import {
	chmodSync,
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	readlinkSync,
	renameSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { catalog, fixture, ignitionFile, run, ROOT, type IgnitionDoc } from './helpers.ts';
import { writeOutput } from '../../src/cli/nassella.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { ageEncrypt } from '../../src/lib/adapters/age/encrypt.ts';
import { parseServerStatus, type ServerStatus } from '../../src/lib/core/server/status.ts';

// Each case runs several syncs and real restic: on a loaded machine one takes well over the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

const T = mkdtempSync(join(tmpdir(), 'nassella-life-'));
const AUTHOR = join(T, 'author');
const ETC = join(T, 'etc');
const SRV = join(T, 'root');
const RUN = join(T, 'run');
const BIN = join(T, 'bin');
const UNITS = join(T, 'units');
/** The time zones a server has (Flatcar: /usr/share/zoneinfo), and what systemctl was asked. */
const ZONES = join(T, 'zoneinfo');
const SYSTEMCTL_LOG = join(T, 'systemctl.log');
const LOG = join(T, 'docker.log');
const REPO = join(T, 'repo');
const SIGNER = join(T, 'signer');
const DATA = join(SRV, 'data');
const RESTIC_PASSWORD = 'fixture restic password';

const DOCKER_STUB = `#!/bin/bash
# Stand-in for docker: the Docker engine cannot run here (see the test's header).
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
	while IFS= read -r line; do
		[ -n "$line" ] && export "\${line%%=*}=\${line#*=}"
	done <"$envfile"
	# The S3 bucket is replaced by the local repository.
	export RESTIC_REPOSITORY="$(cat "${T}/repository")" RESTIC_CACHE_DIR="${T}/cache"
	exec restic "\${args[@]}"
fi
dir=""
prev=""
for a in "$@"; do
	if [ "$prev" = "--project-directory" ]; then dir="$a"; fi
	prev="$a"
done
case " $* " in
*" config --services "*)
	awk '{ print $2 }' "$dir/services.list" ;;
*" up "*)
	if [ -f "${T}/fail-up" ]; then exit 1; fi ;;
*" exec -T caddy wget "*)
	echo "  HTTP/1.1 200 OK" >&2 ;;
*" exec -T "*)
	svc="$(sed -n 's/.* exec -T \\([^ ]*\\) .*/\\1/p' <<<"$*")"
	if [[ " $* " == *dump* ]]; then cat "${T}/db-$svc"; else cat >"${T}/restored-$svc"; fi ;;
*" ps "*)
	# Nothing runs while up fails.
	if [ -f "${T}/fail-up" ]; then exit 0; fi
	while read -r _ svc; do
		if [ -f "${T}/unhealthy" ] && [ "$(cat "${T}/unhealthy")" = "$svc" ]; then
			echo "$svc running unhealthy"
		else
			echo "$svc running healthy"
		fi
	done <"$dir/services.list" ;;
esac
exit 0
`;

const START_UNIT = `#!/bin/bash
# Stand-in for systemctl start --no-block: runs the generated unit's ExecStart now, with the test's paths.
set -uo pipefail
cmd="$(sed -n 's/^ExecStart=//p' "${UNITS}/$1")"
cmd="\${cmd//\\/var\\/lib\\/nassella/${SRV}}"
ROOT="${SRV}" RUN="${RUN}" CURRENT="${SRV}/current" $cmd || true
`;

function git(args: string[], cwd = AUTHOR) {
	const r = run('git', args, {
		cwd,
		env: {
			...process.env,
			GIT_CONFIG_GLOBAL: '/dev/null',
			GIT_CONFIG_NOSYSTEM: '1',
			GIT_AUTHOR_NAME: 'nassella',
			GIT_AUTHOR_EMAIL: 'nassella@example.org',
			GIT_COMMITTER_NAME: 'nassella',
			GIT_COMMITTER_EMAIL: 'nassella@example.org'
		}
	});
	if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
	return r.stdout.trim();
}

type Input = ReturnType<typeof fixture>;

/** Renders a deployment, commits the bundle signed, and returns the commit and the Ignition. */
async function commitBundle(input: Input, message: string): Promise<{ commit: string; ign: IgnitionDoc }> {
	const result = await renderServer(input, catalog(), { encrypt: ageEncrypt });
	const tmp = mkdtempSync(join(T, 'render-'));
	writeOutput(tmp, result.files, result.ignition);
	run('bash', [
		'-c',
		`cd "${AUTHOR}" && find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} + && cp -a "${tmp}/bundle/." .`
	]);
	git(['add', '-A']);
	git([
		'-c',
		'gpg.format=ssh',
		'-c',
		`user.signingkey=${SIGNER}`,
		'commit',
		'-S',
		'-q',
		'--allow-empty',
		'-m',
		message
	]);
	return { commit: git(['rev-parse', 'HEAD']), ign: JSON.parse(result.ignition) };
}

/** Places what Ignition would place on a new server (from the rendered Ignition itself). */
function boot(ign: IgnitionDoc) {
	for (const d of [ETC, SRV, RUN, UNITS]) rmSync(d, { recursive: true, force: true });
	mkdirSync(ETC, { recursive: true });
	mkdirSync(UNITS, { recursive: true });
	for (const f of ign.storage.files) {
		if (
			!f.path.startsWith('/etc/nassella/') &&
			!f.path.startsWith('/opt/nassella/') &&
			f.path !== '/etc/flatcar/update.conf'
		)
			continue;
		writeFileSync(join(ETC, f.path.split('/').pop()!), ignitionFile(ign, f.path));
	}
	for (const u of ign.systemd.units) if (u.contents) writeFileSync(join(UNITS, u.name), u.contents);
	const zone = ign.storage.links.find((l) => l.path === '/etc/localtime')!.target;
	expect(zone).toMatch(/^\/usr\/share\/zoneinfo\//);
	symlinkSync(join(ZONES, zone.slice('/usr/share/zoneinfo/'.length)), join(ETC, 'localtime'));
	const conf = readFileSync(join(ETC, 'sync.conf'), 'utf8')
		.replace(/^REMOTE_URL=.*$/m, `REMOTE_URL='${AUTHOR}'`)
		.replace(/^ROOT=.*$/m, `ROOT='${SRV}'`)
		.replace(/^ETC=.*$/m, `ETC='${ETC}'`)
		.replace(/^RUN=.*$/m, `RUN='${RUN}'`);
	writeFileSync(
		join(ETC, 'sync.conf'),
		`${conf}HEALTH_TIMEOUT=2\nHEALTH_INTERVAL=0.2\nALLOW_PROTOCOL=file\n` +
			`UPDATE_CONF='${join(ETC, 'update.conf')}'\nLOCALTIME='${join(ETC, 'localtime')}'\nSTART_UNIT='${join(BIN, 'start-unit')}'\n` +
			`ZONEINFO='${ZONES}'\nUNIT_DIR='${UNITS}'\nSYSTEMCTL='${join(BIN, 'systemctl')}'\n`
	);
}

let extraEnv: Record<string, string> = {};
function sync(): Promise<{ code: number | null; stderr: string }> {
	return new Promise((resolve) => {
		const p = spawn('bash', [join(ETC, 'nassella-sync')], {
			env: {
				...process.env,
				PATH: `${BIN}:${process.env.PATH}`,
				NASSELLA_CONF: join(ETC, 'sync.conf'),
				GIT_CONFIG_GLOBAL: '/dev/null',
				GIT_CONFIG_NOSYSTEM: '1',
				...extraEnv
			}
		});
		let stderr = '';
		p.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => p.kill('SIGKILL'), 150_000);
		p.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stderr });
		});
	});
}

const rawStatus = () => JSON.parse(readFileSync(join(SRV, 'status/status.json'), 'utf8'));
const status = (): ServerStatus => parseServerStatus(readFileSync(join(SRV, 'status/status.json'), 'utf8'));
const dockerLog = () => (existsSync(LOG) ? readFileSync(LOG, 'utf8') : '');
const restic = (...args: string[]) =>
	run('restic', ['-r', REPO, ...args], {
		env: { ...process.env, RESTIC_PASSWORD, RESTIC_CACHE_DIR: join(T, 'cache') }
	});

/** path → sha256 of every file under dir, skipping the given relative prefixes. */
function tree(dir: string, skip: string[] = []): Record<string, string> {
	const out: Record<string, string> = {};
	const walk = (d: string) => {
		for (const n of readdirSync(d)) {
			const p = join(d, n);
			const rel = relative(dir, p);
			if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
			if (statSync(p).isDirectory()) walk(p);
			else out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
		}
	};
	if (existsSync(dir)) walk(dir);
	return out;
}

const DATABASES = {
	'miniflux-db': '-- miniflux database stand-in\nINSERT INTO feeds VALUES (1);\n',
	'nextcloud-db': '-- nextcloud database stand-in\nINSERT INTO oc_users VALUES (1);\n',
	'immich-db': '-- immich database stand-in\nINSERT INTO assets VALUES (1);\n'
};
const EXCLUDED = [
	'miniflux/postgres',
	'vaultwarden/icon_cache',
	'nextcloud/postgres',
	'nextcloud/redis',
	'immich/postgres',
	'immich/upload/thumbs'
];

let input: Input;
let identity = '';
let originalTree: Record<string, string> = {};

beforeAll(async () => {
	mkdirSync(BIN, { recursive: true });
	writeFileSync(join(BIN, 'docker'), DOCKER_STUB);
	writeFileSync(join(BIN, 'start-unit'), START_UNIT);
	writeFileSync(
		join(BIN, 'update_engine_client'),
		`#!/bin/bash\n# Stand-in for Flatcar's update_engine_client -status.\ncat "${join(T, 'update-status')}" 2>/dev/null\n`
	);
	chmodSync(join(BIN, 'update_engine_client'), 0o755);
	writeFileSync(
		join(BIN, 'systemctl'),
		`#!/bin/bash\n# Stand-in for systemctl (no systemd as PID 1 here): notes what it was asked.\necho "$*" >>"${SYSTEMCTL_LOG}"\n`
	);
	chmodSync(join(BIN, 'systemctl'), 0o755);
	for (const zone of ['Europe/Berlin', 'America/New_York']) {
		mkdirSync(join(ZONES, zone, '..'), { recursive: true });
		writeFileSync(join(ZONES, zone), `stand-in for the ${zone} zone file\n`);
	}
	// The test's data folder is no mount point: mountpoint says it is (the volume is there).
	writeFileSync(
		join(BIN, 'mountpoint'),
		'#!/bin/bash\n# Stand-in for mountpoint: the data volume is mounted.\nexit 0\n'
	);
	chmodSync(join(BIN, 'mountpoint'), 0o755);
	chmodSync(join(BIN, 'docker'), 0o755);
	chmodSync(join(BIN, 'start-unit'), 0o755);
	copyFileSync(join(ROOT, 'tests/fixtures/keys/signer'), SIGNER);
	chmodSync(SIGNER, 0o600);
	writeFileSync(join(T, 'repository'), REPO);
	for (const [svc, text] of Object.entries(DATABASES)) writeFileSync(join(T, `db-${svc}`), text);
	input = fixture('five-apps');
	delete (input.config as Record<string, unknown>).ntfyTopic;
	identity = run('age-keygen', ['-y'], {
		input: `${(input.secrets as { ageIdentity: string }).ageIdentity}\n`
	}).stdout.trim();
	mkdirSync(AUTHOR);
	git(['init', '-q', '-b', 'main']);
});

describe('a server: status, requests, drill', () => {
	let first = '';
	let firstSnapshot = '';
	it('reports every status field after the first apply, read back by the app parser', async () => {
		const { commit, ign } = await commitBundle(input, 'First bundle');
		first = commit;
		boot(ign);
		for (const [p, text] of [
			['miniflux/postgres/PG_VERSION', '17'],
			['vaultwarden/db.sqlite3', 'vault data'],
			['vaultwarden/attachments/a1/file.bin', 'attachment bytes'],
			['vaultwarden/icon_cache/icon.png', 'cache'],
			['uptime-kuma/kuma.db', 'kuma data'],
			['nextcloud/data/person/files/Photos/cat.jpg', 'a cat'],
			['nextcloud/config/config.php', '<?php $CONFIG = [];'],
			['immich/upload/library/2026/img.heic', 'image'],
			['immich/upload/thumbs/img.webp', 'thumbnail']
		] as const) {
			mkdirSync(join(DATA, p, '..'), { recursive: true });
			writeFileSync(join(DATA, p), text);
		}
		const r = await sync();
		expect(r.code, r.stderr).toBe(0);
		const s = status();
		expect(s.commit).toBe(first);
		expect(s.result).toBe('ok');
		expect(s.lastError).toBeNull();
		expect(Object.values(s.apps).every((v) => v === 'healthy')).toBe(true);
		expect(Object.keys(s.apps).sort()).toEqual([
			'immich',
			'miniflux',
			'nassella',
			'nextcloud',
			'uptime-kuma',
			'vaultwarden'
		]);
		expect(s.os.rebootWindow).toBe('04:00 for 1h (Europe/Berlin)');
		expect(s.identity).toBe(identity);
		const df = run('df', ['-P', '-B1', SRV]).stdout.trim().split('\n')[1]!.split(/\s+/);
		expect(s.disk?.data?.totalBytes).toBe(Number(df[1]));
		expect(s.disk?.data?.usedBytes).toBeGreaterThan(0);
		expect(s.disk!.data!.usedBytes).toBeLessThanOrEqual(s.disk!.data!.totalBytes);
		expect(s.backup).toBeNull();
		expect(s.requests).toBeUndefined();
		expect(s.restore).toBeUndefined();
	});

	it('applies a reboot window changed in the dashboard: locksmithd file, time zone, backup and drill times', async () => {
		const timer = (unit: string) => join(UNITS, `nassella-${unit}.timer.d/50-window.conf`);
		const systemctl = () => (existsSync(SYSTEMCTL_LOG) ? readFileSync(SYSTEMCTL_LOG, 'utf8') : '');
		rmSync(SYSTEMCTL_LOG, { force: true });
		const moved = structuredClone(input);
		moved.config.rebootWindow = { start: 'Sat 02:30', length: '2h', timezone: 'America/New_York' };
		await commitBundle(moved, 'Restart for updates on Saturdays');
		let r = await sync();
		expect(r.code, r.stderr).toBe(0);
		expect(readFileSync(join(ETC, 'update.conf'), 'utf8')).toBe(
			'REBOOT_STRATEGY=reboot\nLOCKSMITHD_REBOOT_WINDOW_START="Sat 02:30"\nLOCKSMITHD_REBOOT_WINDOW_LENGTH=2h\n'
		);
		expect(readlinkSync(join(ETC, 'localtime'))).toBe(join(ZONES, 'America/New_York'));
		// Backups 90 minutes before the window's time, the drill an hour before that, on the 1st.
		expect(readFileSync(timer('backup'), 'utf8')).toBe('[Timer]\nOnCalendar=\nOnCalendar=*-*-* 01:00:00\n');
		expect(readFileSync(timer('drill'), 'utf8')).toBe('[Timer]\nOnCalendar=\nOnCalendar=*-*-01 00:00:00\n');
		expect(systemctl().split('\n')).toEqual([
			'try-restart locksmithd.service',
			'daemon-reload',
			'try-restart nassella-backup.timer nassella-drill.timer',
			''
		]);
		expect(status().os.rebootWindow).toBe('Sat 02:30 for 2h (America/New_York)');

		// Nothing new: nothing is written and systemd is not asked again.
		rmSync(SYSTEMCTL_LOG, { force: true });
		r = await sync();
		expect(r.code, r.stderr).toBe(0);
		expect(systemctl()).toBe('');

		// Back to the usual window: everything follows again.
		await commitBundle(input, 'Back to the usual window');
		r = await sync();
		expect(r.code, r.stderr).toBe(0);
		expect(readlinkSync(join(ETC, 'localtime'))).toBe(join(ZONES, 'Europe/Berlin'));
		expect(readFileSync(timer('backup'), 'utf8')).toBe('[Timer]\nOnCalendar=\nOnCalendar=*-*-* 02:30:00\n');
		expect(status().os.rebootWindow).toBe('04:00 for 1h (Europe/Berlin)');
	});

	it('runs a requested backup once, for real, and reports it', async () => {
		const withBackup = structuredClone(input);
		withBackup.config.requests = { backup: 'backup-1' };
		await commitBundle(withBackup, 'Back up now');
		const r = await sync();
		expect(r.code, r.stderr).toBe(0);
		expect(r.stderr).toContain('starting the backup requested as backup-1');
		const snaps = JSON.parse(restic('snapshots', '--json').stdout);
		expect(snaps).toHaveLength(1);
		firstSnapshot = snaps[0].id;
		const s = status();
		expect(s.requests?.backup).toMatchObject({ id: 'backup-1', state: 'done' });
		expect(s.requests?.backup?.at).toMatch(/^\d{4}-\d\d-\d\dT/);
		expect(s.backup).toMatchObject({ result: 'ok', snapshots: [{ id: snaps[0].id }] });
		expect(s.backup?.sizeBytes).toBe(JSON.parse(restic('stats', '--json', '--mode', 'raw-data').stdout).total_size);
		expect(s.backup?.lastSuccess).toBeDefined();
		// Handled once: the next runs (no new commit, or a new commit with the same id) do not back up again.
		writeFileSync(LOG, '');
		expect((await sync()).code).toBe(0);
		const other = structuredClone(withBackup);
		(other.config.apps as { inputs: Record<string, string> }[])[0]!.inputs.admin_username = 'person';
		await commitBundle(other, 'Another change, same request');
		expect((await sync()).code).toBe(0);
		expect(dockerLog()).not.toContain(' backup --quiet');
		expect(JSON.parse(restic('snapshots', '--json').stdout)).toHaveLength(1);
	});

	it('runs a requested restore drill: restores the newest snapshot to a throwaway folder, checks it, removes it', async () => {
		// A second snapshot first, so the drill has to pick the newest (retention keeps one a day).
		writeFileSync(join(DATA, 'vaultwarden/db.sqlite3'), 'vault data, later');
		const next = structuredClone(input);
		next.config.requests = { backup: 'backup-2', drill: 'drill-1' };
		await commitBundle(next, 'Back up and drill');
		const r = await sync();
		expect(r.code, r.stderr).toBe(0);
		const snaps = JSON.parse(restic('snapshots', '--json').stdout) as { id: string; time: string }[];
		expect(snaps).toHaveLength(1);
		const newest = snaps[0]!;
		expect(newest.id).not.toBe(firstSnapshot);
		const s = status();
		expect(s.requests?.backup).toMatchObject({ id: 'backup-2', state: 'done' });
		expect(s.requests?.drill).toMatchObject({ id: 'drill-1', state: 'done', snapshot: newest.id });
		const files = Number(
			restic('ls', '--json', newest.id)
				.stdout.split('\n')
				.filter((l) => l.includes('"type":"file"')).length
		);
		expect(s.requests?.drill?.files).toBe(files);
		expect(s.requests?.drill?.files).toBeGreaterThan(5);
		expect(existsSync(join(SRV, 'drill'))).toBe(false);
		expect(s.backup?.snapshots?.map((x) => x.id)).toEqual([newest.id]);
		// The raw file has exactly the fields ServerStatus describes (nothing dropped by the parser).
		const raw = rawStatus();
		expect(Object.keys(raw).sort()).toEqual(
			[
				'apps',
				'appliedAt',
				'backup',
				'checkedAt',
				'commit',
				'disk',
				'identity',
				'lastError',
				'os',
				'requests',
				'result',
				'version'
			].sort()
		);
		expect(parseServerStatus(raw)).toEqual(s);
		expect(s.os.version).toMatch(/./);
	});

	it('a drill on a damaged repository fails with a clear reason', async () => {
		const copy = join(T, 'repo-damaged');
		run('cp', ['-a', REPO, copy]);
		damagePacks(copy);
		writeFileSync(join(T, 'repository'), copy);
		const next = structuredClone(input);
		next.config.requests = { backup: 'backup-2', drill: 'drill-2' };
		await commitBundle(next, 'Drill again');
		await sync();
		writeFileSync(join(T, 'repository'), REPO);
		const drill = status().requests?.drill;
		expect(drill).toMatchObject({ id: 'drill-2', state: 'failed' });
		expect(drill?.error).toMatch(/could not be restored completely: the backup repository may be damaged/);
		expect(existsSync(join(SRV, 'drill'))).toBe(false);
		originalTree = tree(DATA, EXCLUDED);
	});
});

/** Flips bytes in every data pack, as a damaged disk or a bad upload would. */
function damagePacks(repo: string) {
	for (const sub of readdirSync(join(repo, 'data'))) {
		for (const f of readdirSync(join(repo, 'data', sub))) {
			const p = join(repo, 'data', sub, f);
			chmodSync(p, 0o644);
			const b = readFileSync(p);
			for (let i = 40; i < b.length; i += 97) b[i] = b[i]! ^ 0xff;
			writeFileSync(p, b);
		}
	}
}

describe('a new server that restores from the backup before any app starts', () => {
	const restoreInput = () => {
		const next = structuredClone(input);
		next.config.restoreFromBackup = true;
		return next;
	};
	let oldServer = '';

	afterAll(() => {
		writeFileSync(join(T, 'repository'), REPO);
	});

	it('restores the newest snapshot, loads the dumps through the restore hooks, then starts the apps, with the same identity', async () => {
		oldServer = join(T, 'old-server');
		renameSync(SRV, oldServer);
		for (const f of readdirSync(T)) if (f.startsWith('restored-')) rmSync(join(T, f));
		const { commit, ign } = await commitBundle(restoreInput(), 'New server, restored');
		expect(ignitionFile(ign, '/etc/nassella/restore-from-backup')).toContain('SNAPSHOT=latest\n');
		boot(ign);
		writeFileSync(LOG, '');
		const r = await sync();
		expect(r.code, r.stderr).toBe(0);
		// The restored tree equals the original (without the paths the backup leaves out).
		expect(tree(DATA, EXCLUDED)).toEqual(originalTree);
		expect(Object.keys(originalTree)).toContain('nextcloud/data/person/files/Photos/cat.jpg');
		expect(Object.keys(originalTree)).toContain('miniflux/dump/miniflux.sql');
		// Each database got its own dump back through its restore hook.
		for (const [svc, text] of Object.entries(DATABASES))
			expect(readFileSync(join(T, `restored-${svc}`), 'utf8')).toBe(text);
		// Nothing started before the files and databases were back.
		const log = dockerLog().split('\n');
		const restore = log.findIndex((l) => / restore [0-9a-f]{64} /.test(l));
		const caddy = log.findIndex((l) => l.endsWith(' up -d --pull never --no-deps caddy'));
		const firstUp = log.findIndex((l) => / up -d( |$)/.test(l) && !l.includes(' --wait ') && !l.includes(' caddy'));
		expect(caddy).toBeGreaterThan(-1);
		expect(caddy).toBeLessThan(restore);
		expect(restore).toBeGreaterThan(-1);
		expect(firstUp).toBeGreaterThan(restore);
		const s = status();
		expect(s.commit).toBe(commit);
		expect(s.result).toBe('ok');
		expect(s.identity).toBe(identity);
		const snaps = JSON.parse(restic('snapshots', '--json').stdout) as { id: string; time: string }[];
		const newest = snaps.sort((a, b) => (a.time < b.time ? 1 : -1))[0]!;
		expect(s.restore).toEqual({
			state: 'done',
			snapshot: newest.id,
			steps: [
				{ name: 'find the backup', state: 'done' },
				{ name: 'restore the files', state: 'done' },
				{ name: 'load the database of miniflux', state: 'done' },
				{ name: 'load the database of nextcloud', state: 'done' },
				{ name: 'load the database of immich', state: 'done' }
			]
		});
		// The existing encrypted env files work: the same identity decrypts them.
		expect(readFileSync(join(RUN, 'env/backup.env'), 'utf8')).toContain(`RESTIC_PASSWORD=${RESTIC_PASSWORD}\n`);
		// Restored once: a later commit does not restore again.
		writeFileSync(LOG, '');
		const later = restoreInput();
		(later.config.apps as { inputs: Record<string, string> }[])[0]!.inputs.admin_username = 'later';
		await commitBundle(later, 'Later change');
		expect((await sync()).code).toBe(0);
		expect(dockerLog()).not.toMatch(/ restore [0-9a-f]/);
	});

	it('restores a chosen snapshot when the Ignition names one', async () => {
		const [oldest] = JSON.parse(restic('snapshots', '--json').stdout) as { id: string; time: string }[];
		// A newer snapshot of the same data folder, which the chosen id must win over.
		writeFileSync(join(DATA, 'vaultwarden/db.sqlite3'), 'vault data, newest');
		const b = restic('backup', '--quiet', '--host', 'nassella-fixture01', '--tag', 'nassella', DATA);
		expect(b.code, b.stderr).toBe(0);
		expect(JSON.parse(restic('snapshots', '--json').stdout)).toHaveLength(2);
		const chosen = restoreInput();
		chosen.config.restoreSnapshot = oldest!.id.slice(0, 8);
		const { ign } = await commitBundle(chosen, 'New server, older snapshot');
		expect(ignitionFile(ign, '/etc/nassella/restore-from-backup')).toContain(`SNAPSHOT=${oldest!.id.slice(0, 8)}\n`);
		boot(ign);
		const r = await sync();
		expect(r.code, r.stderr).toBe(0);
		expect(status().restore).toMatchObject({ state: 'done', snapshot: oldest!.id });
		expect(readFileSync(join(DATA, 'vaultwarden/db.sqlite3'), 'utf8')).toBe('vault data, later');
	});

	const refusedWithoutApps = async (reason: RegExp, step: string) => {
		writeFileSync(LOG, '');
		const r = await sync();
		expect(r.code).toBe(1);
		const s = status();
		expect(s.result).toBe('error');
		expect(s.restore?.state).toBe('failed');
		expect(s.restore?.error).toMatch(reason);
		expect(s.restore?.steps?.at(-1)).toEqual({ name: step, state: 'failed' });
		expect(s.lastError).toMatch(/the backup could not be restored: .*; the apps were not started/);
		expect(s.commit).toBeNull();
		// No app was started on the empty or half-filled data volume; only Caddy, which serves status.json.
		const ups = dockerLog()
			.split('\n')
			.filter((l) => / up /.test(l));
		expect(ups).toHaveLength(1);
		expect(ups[0]).toMatch(/ up -d --pull never --no-deps caddy$/);
		expect(existsSync(join(SRV, 'state/restored'))).toBe(false);
		// The next timer run does not try again with the same commit (nor start anything).
		writeFileSync(LOG, '');
		expect((await sync()).code).toBe(1);
		expect(dockerLog()).not.toMatch(/ up -d/);
		return s;
	};

	it('a wrong backup password: a clear error, and no app started', async () => {
		const wrong = restoreInput();
		(wrong.secrets as { backup: { resticPassword: string } }).backup.resticPassword = 'not the password';
		const { ign } = await commitBundle(wrong, 'New server, wrong backup password');
		boot(ign);
		await refusedWithoutApps(/wrong restic password/, 'find the backup');
		expect(tree(DATA)).toEqual({});
	});

	it('a damaged repository: a clear error, and no app started', async () => {
		writeFileSync(join(T, 'repository'), join(T, 'repo-damaged'));
		const { ign } = await commitBundle(restoreInput(), 'New server, damaged repository');
		boot(ign);
		await refusedWithoutApps(
			/could not be restored completely; the backup repository may be damaged/,
			'restore the files'
		);
	});

	it('no repository at all: a clear error, and no app started', async () => {
		writeFileSync(join(T, 'repository'), join(T, 'no-such-repo'));
		const { ign } = await commitBundle(restoreInput(), 'New server, missing repository');
		boot(ign);
		await refusedWithoutApps(/no backup repository was found/, 'find the backup');
	});
});

/** A loopback HTTPS server standing in for ntfy.sh, reached through a loopback CONNECT proxy. */
async function fakeNtfy() {
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
		'/CN=ntfy.sh',
		'-addext',
		'subjectAltName=DNS:ntfy.sh'
	]);
	expect(ssl.code, ssl.stderr).toBe(0);
	const posts: { path?: string; title: string; body: string }[] = [];
	const tls: HttpsServer = createHttpsServer(
		{ key: readFileSync(join(T, 'ntfy.key')), cert: readFileSync(join(T, 'ntfy.pem')) },
		(req, res) => {
			let body = '';
			req.on('data', (c) => (body += c));
			req.on('end', () => {
				if (req.method === 'POST') posts.push({ path: req.url, title: String(req.headers.title), body });
				res.end('{}');
			});
		}
	);
	const proxy: Server = createServer((_, res) => res.writeHead(403).end());
	proxy.on('connect', (req, socket) => {
		if (req.url !== 'ntfy.sh:443') {
			socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
			return;
		}
		socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
		tls.emit('connection', socket);
	});
	await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
	const port = (proxy.address() as { port: number }).port;
	return {
		posts,
		env: {
			HTTPS_PROXY: `http://127.0.0.1:${port}`,
			https_proxy: `http://127.0.0.1:${port}`,
			NO_PROXY: '',
			CURL_CA_BUNDLE: join(T, 'ntfy.pem')
		},
		close: () => {
			proxy.close();
			tls.close();
		}
	};
}

describe('notifications to the ntfy topic from the config', () => {
	let ntfy: Awaited<ReturnType<typeof fakeNtfy>>;
	let withTopic: Input;
	beforeAll(async () => {
		ntfy = await fakeNtfy();
		extraEnv = ntfy.env;
		withTopic = fixture('one-app');
		rmSync(join(T, 'unhealthy'), { force: true });
	});
	afterAll(() => {
		extraEnv = {};
		ntfy.close();
	});

	it('an app that stops being healthy: posted once, and again only after it recovered', async () => {
		const { ign } = await commitBundle(withTopic, 'A server with notifications');
		boot(ign);
		expect((await sync()).code).toBe(0);
		expect(ntfy.posts).toEqual([]);
		writeFileSync(join(T, 'unhealthy'), 'miniflux');
		await sync();
		await sync();
		expect(ntfy.posts).toHaveLength(1);
		expect(ntfy.posts[0]).toMatchObject({ path: '/nassella-fixture-3f9a7c1e' });
		expect(ntfy.posts[0]!.title).toMatch(/^An app is not healthy on /);
		expect(ntfy.posts[0]!.body).toContain('miniflux (unhealthy)');
		expect(status().result).toBe('error');
		rmSync(join(T, 'unhealthy'));
		await sync();
		writeFileSync(join(T, 'unhealthy'), 'miniflux');
		await sync();
		rmSync(join(T, 'unhealthy'));
		expect(ntfy.posts).toHaveLength(2);
	});

	it('an update that fails to apply, and one that is refused: posted once each', async () => {
		ntfy.posts.length = 0;
		const next = structuredClone(withTopic);
		(next.config.apps as { inputs: Record<string, string> }[])[0]!.inputs.admin_username = 'another';
		const failing = await commitBundle(next, 'Fails to start');
		writeFileSync(join(T, 'fail-up'), '');
		await sync();
		expect(status().lastError).toMatch(/could not be started/);
		await sync();
		rmSync(join(T, 'fail-up'));
		expect(ntfy.posts).toHaveLength(1);
		expect(ntfy.posts[0]!.title).toMatch(/^Update failed on /);
		expect(ntfy.posts[0]!.body).toMatch(/could not be applied: the apps could not be started/);
		// An unsigned commit on top.
		writeFileSync(join(AUTHOR, 'README'), 'x');
		git(['add', '-A']);
		git(['commit', '-q', '-m', 'Unsigned']);
		await sync();
		await sync();
		expect(ntfy.posts).toHaveLength(2);
		expect(ntfy.posts[1]!.title).toMatch(/^Update refused on /);
		expect(ntfy.posts[1]!.body).toContain('is not signed with an SSH signature');
		git(['reset', '-q', '--hard', failing.commit]);
	});

	it('a failed operating system update: posted once per version, and shown in the status', async () => {
		ntfy.posts.length = 0;
		const state = (op: string) =>
			writeFileSync(
				join(T, 'update-status'),
				`LAST_CHECKED_TIME=1764115200\nPROGRESS=0.000000\nCURRENT_OP=${op}\nNEW_VERSION=4459.2.1\nNEW_SIZE=0\n`
			);
		state('UPDATE_STATUS_REPORTING_ERROR_EVENT');
		await sync();
		await sync();
		expect(ntfy.posts).toHaveLength(1);
		expect(ntfy.posts[0]!.title).toMatch(/^System update failed on /);
		expect(ntfy.posts[0]!.body).toContain('update to 4459.2.1 failed');
		expect(status().os.update).toBe('UPDATE_STATUS_REPORTING_ERROR_EVENT');
		state('UPDATE_STATUS_IDLE');
		await sync();
		expect(status().os.update).toBe('UPDATE_STATUS_IDLE');
		state('UPDATE_STATUS_REPORTING_ERROR_EVENT');
		await sync();
		rmSync(join(T, 'update-status'));
		expect(ntfy.posts).toHaveLength(2);
	});

	it('apps that do not come back after a restart: posted once', async () => {
		ntfy.posts.length = 0;
		rmSync(RUN, { recursive: true, force: true });
		writeFileSync(join(T, 'fail-up'), '');
		await sync();
		rmSync(join(T, 'fail-up'));
		expect(ntfy.posts).toHaveLength(1);
		expect(ntfy.posts[0]!.title).toMatch(/^Apps did not start on /);
		expect(ntfy.posts[0]!.body).toContain('After a restart the apps did not come back: the apps could not be started');
	});
});
