/**
 * The sync script, run for real against a real local git repository with real SSH-signed
 * commits (git + ssh-keygen), real age decryption and real sha256sum/jq/flock.
 *
 * Stand-in: only the `docker` binary. A recording script on PATH writes every call to
 * docker.log and answers `compose ps` from the bundle's services.list (all running and
 * healthy unless the test marks one service of one release unhealthy); `compose up` and `compose pull`
 * fail when the test asks them to.
 * `mountpoint` is stood in too (the test's data folder is no mount point): it answers "mounted"
 * unless the test marks the volume as missing.
 * The remote is a local path instead of an SSH URL (there is no SSH server here); the
 * script's SSH settings (deploy key, pinned host keys) are checked in the Ignition tests.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import {
	chmodSync,
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	readlinkSync,
	rmSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, renderTo, run, ROOT, ignitionFile, type IgnitionDoc } from './helpers.ts';
import { writeOutput } from '../../src/cli/nassella.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { ageEncrypt } from '../../src/lib/adapters/age/encrypt.ts';
import { CHECK_PATH, configRepoTree, REPO_MARKER_PATH, WORKFLOW_PATH } from '../../src/lib/core/git/repo-files.ts';
import check from 'virtual:nassella-repo-check';
import { catalog } from './helpers.ts';

const T = mkdtempSync(join(tmpdir(), 'nassella-sync-'));
const AUTHOR = join(T, 'author');
const ETC = join(T, 'etc');
const SRV = join(T, 'root');
const RUN = join(T, 'run');
const BIN = join(T, 'bin');
const LOG = join(T, 'docker.log');
const SYNC = join(T, 'nassella-sync');
const SIGNER = join(T, 'signer');
const OTHER = join(T, 'other');

const DOCKER_STUB = `#!/bin/bash
# Stand-in for docker (recording): the Docker engine cannot run here.
# "compose version" (is Docker Compose installed?) is answered without being recorded.
if [ "$*" = "compose version" ]; then
	if [ -f "${T}/no-compose" ]; then exit 1; fi
	exit 0
fi
echo "docker $*" >>"${LOG}"
dir=""
envfile=""
prev=""
for a in "$@"; do
	if [ "$prev" = "--project-directory" ]; then dir="$a"; fi
	if [ "$prev" = "--env-file" ]; then envfile="$a"; fi
	prev="$a"
done
# Which release each service's container runs, as compose up, stop, start and rm leave it:
# containers/<service> holds the release's folder name, and "stopped" on a second line.
C="${T}/containers"
mkdir -p "$C"
named() {
	# The services named after the subcommand $1, or every service of the release.
	local sub="$1" seen=0 skip=0 a out=()
	shift
	for a in "$@"; do
		if [ "$seen" = 0 ]; then [ "$a" = "$sub" ] && seen=1; continue; fi
		if [ "$skip" = 1 ]; then skip=0; continue; fi
		case "$a" in --pull) skip=1 ;; -*) ;; *) out+=("$a") ;; esac
	done
	if [ "\${#out[@]}" = 0 ]; then awk '{ print $2 }' "$dir/services.list"; else printf '%s\\n' "\${out[@]}"; fi
}
case " $* " in
*" pull "*)
	if [ -f "${T}/fail-pull" ]; then echo "stand-in: the registry cannot be reached" >&2; exit 1; fi ;;
*" up "*)
	if [ -f "${T}/fail-up" ]; then exit 1; fi
	# A service named in up-fails is created but not started (what compose does when a service
	# it depends on is not healthy in time), and up fails; "once" after its name: this time only.
	named up "$@" | while read -r svc; do
		basename "$dir" >"$C/$svc"
		if grep -qE "^$svc( once)?$" "${T}/up-fails" 2>/dev/null; then
			echo created >>"$C/$svc"
			touch "${T}/up-failed"
			sed -i "/^$svc once$/d" "${T}/up-fails"
		fi
		# The image an upgrade step picks through compose.env (NASSELLA_STEP_<APP>_<SERVICE>), or the file's own.
		suffix="$(tr 'a-z-' 'A-Z_' <<<"$svc")"
		image="$(sed -n "s/^NASSELLA_STEP_[A-Z0-9_]*_$suffix=//p" "$envfile" 2>/dev/null | tail -n 1)"
		echo "\${image:-as in the file}" >"$C/$svc.image"
	done
	if [ -f "${T}/up-failed" ]; then rm -f "${T}/up-failed"; echo "stand-in: dependency failed to start" >&2; exit 1; fi ;;
*" stop "*)
	named stop "$@" | while read -r svc; do [ -f "$C/$svc" ] && sed -i '2,$d' "$C/$svc" && echo stopped >>"$C/$svc"; done ;;
*" start "*)
	named start "$@" | while read -r svc; do [ -f "$C/$svc" ] && sed -i '2,$d' "$C/$svc"; done ;;
*" rm "*)
	named rm "$@" | while read -r svc; do rm -f "$C/$svc"; done ;;
*" exec -T caddy wget "*)
	# A probe: the service is the URL's host; it answers 502 while the test says so.
	svc="$(sed -n 's|.* http://\\([a-z0-9_-]*\\):.*|\\1|p' <<<"$*")"
	if grep -qxF "$svc" "${T}/not-answering" 2>/dev/null; then echo "  HTTP/1.1 502 Bad Gateway" >&2; else echo "  HTTP/1.1 200 OK" >&2; fi ;;
*" ps "*)
	# Unhealthy while ${T}/unhealthy names "<release> <service>" for the release it runs.
	while read -r _ svc; do
		[ -f "$C/$svc" ] || continue
		release="$(head -n 1 "$C/$svc")"
		if [ "$(sed -n 2p "$C/$svc")" = stopped ]; then
			echo "$svc exited"
		elif [ "$(sed -n 2p "$C/$svc")" = created ]; then
			echo "$svc created"
		elif grep -qxF "$release $svc" "${T}/unhealthy" 2>/dev/null ||
			grep -qxF "image $(cat "$C/$svc.image" 2>/dev/null)" "${T}/unhealthy" 2>/dev/null; then
			echo "$svc running unhealthy"
		else
			echo "$svc running healthy"
		fi
	done <"$dir/services.list" ;;
esac
exit 0
`;

const env = () => ({
	...process.env,
	PATH: `${BIN}:${process.env.PATH}`,
	NASSELLA_CONF: join(ETC, 'sync.conf'),
	GIT_CONFIG_GLOBAL: '/dev/null',
	GIT_CONFIG_NOSYSTEM: '1'
});

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

function commit(message: string, key: string | undefined): string {
	git(['add', '-A']);
	const sign = key ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`, 'commit', '-S'] : ['commit'];
	git([...sign, '-q', '--allow-empty', '-m', message]);
	return git(['rev-parse', 'HEAD']);
}

/** `repoFiles`: with the files nassella commits next to the bundle (README, CI workflow and check, marker). */
async function writeBundle(input: unknown, repoFiles = false) {
	const result = await renderServer(input, catalog(), { encrypt: ageEncrypt });
	const files = repoFiles
		? configRepoTree(result.files, { serverName: 'test', signingKey: 'ssh-ed25519 AAAA', check })
		: result.files;
	const tmp = mkdtempSync(join(T, 'render-'));
	writeOutput(tmp, files, result.ignition);
	rmSync(join(AUTHOR, 'bundle'), { recursive: true, force: true });
	run('cp', ['-a', join(tmp, 'bundle'), join(AUTHOR, 'bundle')]);
	// The bundle is the repository's content: move it to the top level.
	run('bash', [
		'-c',
		`cd "${AUTHOR}" && find . -mindepth 1 -maxdepth 1 ! -name .git ! -name bundle -exec rm -rf {} + && cp -a bundle/. . && rm -rf bundle`
	]);
}

function sync() {
	return run('bash', [SYNC], { env: env(), timeout: 120_000 });
}
const applied = () => readFileSync(join(SRV, 'state/applied'), 'utf8').trim();
const status = () => JSON.parse(readFileSync(join(SRV, 'status/status.json'), 'utf8'));
const dockerLog = () => (existsSync(LOG) ? readFileSync(LOG, 'utf8') : '');

let input: ReturnType<typeof fixture>;
let first = '';
let second = '';

beforeAll(async () => {
	mkdirSync(ETC, { recursive: true });
	mkdirSync(BIN, { recursive: true });
	writeFileSync(join(BIN, 'docker'), DOCKER_STUB);
	chmodSync(join(BIN, 'docker'), 0o755);
	writeFileSync(
		join(BIN, 'mountpoint'),
		`#!/bin/bash\n# Stand-in for mountpoint: the data folder counts as mounted unless the test says otherwise.\n[ ! -f "${T}/unmounted" ]\n`
	);
	chmodSync(join(BIN, 'mountpoint'), 0o755);
	copyFileSync(join(ROOT, 'tests/fixtures/keys/signer'), SIGNER);
	chmodSync(SIGNER, 0o600);
	expect(run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'someone-else', '-f', OTHER]).code).toBe(0);

	input = fixture('one-app');
	const r = await renderTo(input);
	const ign = JSON.parse(r.ignition) as IgnitionDoc;
	// The files Ignition would place, taken from the rendered Ignition config itself.
	writeFileSync(SYNC, ignitionFile(ign, '/opt/nassella/bin/nassella-sync'));
	writeFileSync(join(ETC, 'allowed_signers'), ignitionFile(ign, '/etc/nassella/allowed_signers'));
	writeFileSync(join(ETC, 'age-identity'), ignitionFile(ign, '/etc/nassella/age-identity'));
	writeFileSync(join(ETC, 'deploy_key'), ignitionFile(ign, '/etc/nassella/deploy_key'));
	writeFileSync(join(ETC, 'known_hosts'), ignitionFile(ign, '/etc/nassella/known_hosts'));
	const conf = ignitionFile(ign, '/etc/nassella/sync.conf')
		.replace(/^REMOTE_URL=.*$/m, `REMOTE_URL='${AUTHOR}'`)
		.replace(/^ROOT=.*$/m, `ROOT='${SRV}'`)
		.replace(/^ETC=.*$/m, `ETC='${ETC}'`)
		.replace(/^RUN=.*$/m, `RUN='${RUN}'`);
	// Every path of the host the script would touch (the reboot window's files, the timers,
	// systemctl) is one of the test's own: the script runs as root here.
	writeFileSync(
		join(ETC, 'sync.conf'),
		`${conf}HEALTH_TIMEOUT=3\nHEALTH_INTERVAL=0.2\nALLOW_PROTOCOL=file\n` +
			`UPDATE_CONF='${join(ETC, 'update.conf')}'\nLOCALTIME='${join(ETC, 'localtime')}'\n` +
			`ZONEINFO='${join(T, 'zoneinfo')}'\nUNIT_DIR='${join(T, 'units')}'\nSYSTEMCTL=true\n`
	);

	mkdirSync(AUTHOR);
	git(['init', '-q', '-b', 'main']);
	await writeBundle(input);
	first = commit('First bundle', SIGNER);
});

// The script runs as root: the host's own time zone must be as it was before.
const hostZone = existsSync('/etc/localtime') ? readlinkSync('/etc/localtime') : '';
afterAll(() => {
	expect(existsSync('/etc/localtime') ? readlinkSync('/etc/localtime') : '').toBe(hostZone);
});

// Each case runs the real script (git, ssh-keygen, age, jq) up to three times: on a loaded 2-core machine that takes
// well over the default 30 s.
describe('nassella-sync', { timeout: 180_000 }, () => {
	it('applies a commit signed by an allowed key: decrypts secrets, checks, pulls, starts, records', () => {
		const r = sync();
		expect(r.stderr).toContain('applied');
		expect(r.code).toBe(0);
		expect(applied()).toBe(first);
		expect(readlinkSync(join(SRV, 'current'))).toBe(join(SRV, 'releases', first));
		const log = dockerLog();
		expect(log).toMatch(/compose .* config -q/);
		expect(log).toMatch(/compose .* pull --quiet/);
		expect(log).toMatch(/compose .* up -d --pull never --remove-orphans/);
		// Real age decryption with the server identity from Ignition.
		const envFile = readFileSync(join(RUN, 'env/miniflux.env'), 'utf8');
		const secrets = input.secrets as { apps: Record<string, Record<string, string>> };
		expect(envFile).toContain(`ADMIN_PASSWORD='${secrets.apps.miniflux!.admin_password}'`);
		const s = status();
		expect(s.result).toBe('ok');
		expect(s.commit).toBe(first);
		expect(s.apps).toEqual({ miniflux: 'healthy', nassella: 'healthy' });
		expect(s.lastError).toBeNull();
	});

	it('applies a signed descendant, with the files nassella commits next to the bundle', async () => {
		const changed = structuredClone(input);
		(changed.config.apps as { inputs: Record<string, string> }[])[0]!.inputs.admin_username = 'person';
		await writeBundle(changed, true);
		second = commit('Second bundle', SIGNER);
		const r = sync();
		expect(r.code, r.stderr).toBe(0);
		expect(applied()).toBe(second);
		for (const path of ['README.md', WORKFLOW_PATH, CHECK_PATH, REPO_MARKER_PATH])
			expect(existsSync(join(SRV, 'releases', second, path)), path).toBe(true);
	});

	const refusedKeepsState = (r: ReturnType<typeof sync>, reason: RegExp) => {
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(reason);
		expect(applied()).toBe(second);
		expect(readlinkSync(join(SRV, 'current'))).toBe(join(SRV, 'releases', second));
		expect(status().result).toBe('refused');
		expect(status().lastError).toMatch(reason);
		expect(status().commit).toBe(second);
	};

	it('refuses an unsigned commit and keeps the last good state', () => {
		writeFileSync(join(AUTHOR, 'probes.list'), '');
		commit('Unsigned', undefined);
		const before = dockerLog();
		refusedKeepsState(sync(), /not signed with an SSH signature/);
		expect(dockerLog()).toBe(before);
		git(['reset', '-q', '--hard', second]);
	});

	it('refuses a commit signed by a key that is not allowed', () => {
		writeFileSync(join(AUTHOR, 'README'), 'x');
		commit('Other key', OTHER);
		const before = dockerLog();
		refusedKeepsState(sync(), /not signed by a key this server trusts/);
		expect(dockerLog()).toBe(before);
		git(['reset', '-q', '--hard', second]);
	});

	it('refuses history that does not descend from the applied commit (rollback or force-push)', () => {
		git(['reset', '-q', '--hard', first]);
		const before = dockerLog();
		refusedKeepsState(sync(), /does not build on the applied commit/);
		writeFileSync(join(AUTHOR, 'services.list'), readFileSync(join(AUTHOR, 'services.list'), 'utf8'));
		commit('Rewritten history', SIGNER);
		refusedKeepsState(sync(), /does not build on the applied commit/);
		expect(dockerLog()).toBe(before);
		git(['reset', '-q', '--hard', second]);
	});

	it('refuses a signed commit whose files do not match the manifest', () => {
		writeFileSync(join(AUTHOR, 'Caddyfile'), readFileSync(join(AUTHOR, 'Caddyfile'), 'utf8') + '\n# changed\n');
		commit('Tampered Caddyfile', SIGNER);
		refusedKeepsState(sync(), /do not match its manifest/);
		git(['reset', '-q', '--hard', second]);
		writeFileSync(join(AUTHOR, 'extra.sh'), 'echo hi\n');
		commit('Unlisted file', SIGNER);
		refusedKeepsState(sync(), /do not match its manifest/);
		git(['reset', '-q', '--hard', second]);
		// A link could point anywhere on the server (e.g. /etc): refused even when listed.
		rmSync(join(AUTHOR, 'probes.list'));
		symlinkSync('/etc/nassella/age-identity', join(AUTHOR, 'probes.list'));
		commit('Link instead of a file', SIGNER);
		const linked = sync();
		refusedKeepsState(linked, /do not match its manifest/);
		expect(linked.stderr).toContain('the bundle contains links or special files');
		git(['reset', '-q', '--hard', second]);
	});

	it('rolls back to the last good commit when the new one fails as a whole (Caddy, which serves every app, does not start)', async () => {
		const changed = structuredClone(input);
		(changed.config.apps as { inputs: Record<string, string> }[])[0]!.inputs.admin_username = 'another';
		await writeBundle(changed);
		const third = commit('Third bundle', SIGNER);
		writeFileSync(join(T, 'unhealthy'), `${third} caddy\n`);
		writeFileSync(LOG, '');
		const r = sync();
		rmSync(join(T, 'unhealthy'));
		expect(r.code).toBe(1);
		expect(applied()).toBe(second);
		const ups = dockerLog()
			.split('\n')
			.filter((l) => l.includes(' up -d'));
		expect(ups).toHaveLength(2);
		expect(ups[0]).toContain(`releases/${third}`);
		expect(ups[1]).toContain(`releases/${second}`);
		// The previous release starts from the images already on disk: the only pull is the new one's.
		expect(ups[1]).toContain(' up -d --pull never');
		const pulls = dockerLog()
			.split('\n')
			.filter((l) => / pull /.test(l));
		expect(pulls).toHaveLength(1);
		expect(pulls[0]).toContain(`releases/${third}`);
		expect(status().result).toBe('error');
		expect(status().lastError).toMatch(
			/^Caddy, which serves every app, did not start \(unhealthy\); the previous version is running again$/
		);
		// The failed commit is not retried on every timer run.
		writeFileSync(LOG, '');
		expect(sync().code).toBe(1);
		expect(dockerLog()).not.toContain(' up -d');
		expect(status().lastError).toMatch(/failed before/);
	});

	it('after a reboot (empty /run) brings the applied release back up first, from the images on disk', () => {
		rmSync(RUN, { recursive: true, force: true });
		writeFileSync(LOG, '');
		// A registry outage at boot does not matter: nothing is pulled on the way back up.
		writeFileSync(join(T, 'fail-pull'), '');
		sync();
		rmSync(join(T, 'fail-pull'));
		expect(dockerLog()).toContain(
			`releases/${second} -f ${join(SRV, 'releases', second)}/docker-compose.yml up -d --pull never`
		);
		expect(dockerLog()).not.toMatch(/ pull /);
		expect(existsSync(join(RUN, 'env/miniflux.env'))).toBe(true);
		expect(status().lastError).not.toMatch(/could not be started/);
	});

	it('fetches only over SSH unless told otherwise: a local-path remote is refused by default', () => {
		const confPath = join(ETC, 'sync.conf');
		const conf = readFileSync(confPath, 'utf8');
		writeFileSync(confPath, conf.replace('ALLOW_PROTOCOL=file\n', ''));
		const r = sync();
		writeFileSync(confPath, conf);
		expect(r.code).toBe(1);
		expect(applied()).toBe(second);
		expect(status().result).toBe('error');
		expect(status().lastError).toMatch(/git host could not be reached/);
	});

	it('a registry outage during an update: the running version is left alone, and the update is tried again', async () => {
		const changed = structuredClone(input);
		(changed.config.apps as { inputs: Record<string, string> }[])[0]!.inputs.admin_username = 'fourth';
		await writeBundle(changed);
		const fourth = commit('Fourth bundle', SIGNER);
		writeFileSync(join(T, 'fail-pull'), '');
		writeFileSync(LOG, '');
		const r = sync();
		expect(r.code).toBe(1);
		// Nothing running was touched: no start, stop or removal, and no rollback.
		expect(dockerLog()).toMatch(new RegExp(`releases/${fourth} .* pull`));
		expect(dockerLog()).not.toMatch(/ (up|down|stop|rm|restart) /);
		expect(applied()).toBe(second);
		expect(readlinkSync(join(SRV, 'current'))).toBe(join(SRV, 'releases', second));
		expect(existsSync(join(RUN, 'env/miniflux.env'))).toBe(true);
		const s = status();
		expect(s.result).toBe('error');
		expect(s.commit).toBe(second);
		expect(s.lastError).toMatch(/app images could not be downloaded/);
		expect(s.lastError).toMatch(/the running version continues/);
		expect(s.lastError).not.toMatch(/failed before|previous version/);
		// Not recorded as a failed commit: the next run tries it again, and applies it once the registry answers.
		expect(readFileSync(join(SRV, 'state/failed'), 'utf8').trim()).not.toBe(fourth);
		expect(sync().code).toBe(1);
		expect(status().lastError).toMatch(/app images could not be downloaded/);
		rmSync(join(T, 'fail-pull'));
		const again = sync();
		expect(again.code, again.stderr).toBe(0);
		expect(applied()).toBe(fourth);
		expect(status().result).toBe('ok');
	});

	it('while Docker Compose is not installed: status.json says why (from nassella-fetch), and nothing runs', () => {
		const before = applied();
		writeFileSync(join(T, 'no-compose'), '');
		mkdirSync(RUN, { recursive: true });
		const reason =
			'the Docker Compose extension could not be downloaded: the download server answered HTTP 404 for https://extensions.flatcar.org/extensions/docker-compose-2.34.0-x86-64.raw; the server tries again at its next check';
		writeFileSync(join(RUN, 'compose.error'), `${reason}\n`);
		writeFileSync(LOG, '');
		const r = sync();
		expect(r.code).toBe(1);
		expect(r.stderr).toContain(reason);
		expect(status()).toMatchObject({ result: 'error', lastError: reason, commit: before });
		expect(dockerLog()).not.toMatch(/ (config|pull|up|ps|exec) /);
		// Not downloaded yet, and no failure recorded: said as such.
		rmSync(join(RUN, 'compose.error'));
		sync();
		expect(status().lastError).toMatch(/^Docker Compose is not installed yet/);
		rmSync(join(T, 'no-compose'));
		expect(sync().code).toBe(0);
		expect(status().lastError).toBeNull();
	});

	it('decrypts with the age nassella-fetch installed when the system has none, and builds no image', () => {
		// A PATH with every program of this machine but age.
		const restricted = join(T, 'no-age-path');
		mkdirSync(restricted, { recursive: true });
		for (const dir of ['/usr/local/bin', '/usr/bin', '/usr/sbin'])
			for (const name of existsSync(dir) ? readdirSync(dir) : [])
				if (name !== 'age' && !existsSync(join(restricted, name))) symlinkSync(join(dir, name), join(restricted, name));
		const fetched = join(T, 'opt-bin');
		mkdirSync(fetched, { recursive: true });
		writeFileSync(
			join(fetched, 'age'),
			`#!/bin/bash\n# Stand-in for the age nassella-fetch installs: the real age, counted.\necho used >>"${T}/fetched-age"\nexec "${run('bash', ['-c', 'command -v age']).stdout.trim()}" "$@"\n`
		);
		chmodSync(join(fetched, 'age'), 0o755);
		const confPath = join(ETC, 'sync.conf');
		const conf = readFileSync(confPath, 'utf8');
		writeFileSync(confPath, `${conf}BIN='${fetched}'\n`);
		rmSync(RUN, { recursive: true, force: true });
		writeFileSync(LOG, '');
		const r = run('bash', [SYNC], { env: { ...env(), PATH: `${BIN}:${restricted}` }, timeout: 120_000 });
		writeFileSync(confPath, conf);
		expect(r.code, r.stderr).toBe(0);
		expect(readFileSync(join(T, 'fetched-age'), 'utf8')).toContain('used');
		expect(existsSync(join(RUN, 'env/miniflux.env'))).toBe(true);
		expect(dockerLog()).not.toMatch(/ (build|image inspect) /);
	});

	it('a missing data volume: said in plain words, nothing written to the empty folder; once it is there, sync runs and notes it', () => {
		/** Every path under the data folder with its size and change time. */
		const snapshot = () => run('find', [SRV, '-printf', '%p %s %T@ %C@\\n']).stdout.split('\n').sort().join('\n');
		const confPath = join(ETC, 'sync.conf');
		const conf = readFileSync(confPath, 'utf8');
		expect(conf).toContain("DATA_DEVICE='/dev/disk/by-id/scsi-0HC_Volume_12345678'\n");
		const disk = join(T, 'disk');
		writeFileSync(confPath, `${conf}DATA_DEVICE='${disk}'\n`);
		writeFileSync(join(T, 'unmounted'), '');
		rmSync(RUN, { recursive: true, force: true });
		writeFileSync(LOG, '');
		const before = snapshot();
		const missing = sync();
		expect(missing.code).toBe(1);
		expect(missing.stderr).toContain(
			`nassella-sync: the data volume ${disk} is not attached to this server; nothing is started, and nothing is written to ${SRV}, until it is.`
		);
		expect(snapshot()).toBe(before);
		expect(dockerLog()).toBe('');
		expect(readFileSync(join(RUN, 'data-volume-missing'), 'utf8')).toMatch(
			/^\d{4}-\d\d-\d\dT[\d:]+Z\nthe data volume /
		);
		// Attached, but not mounted (the format or the mount failed): said differently, still nothing written.
		writeFileSync(disk, '');
		const unmounted = sync();
		expect(unmounted.code).toBe(1);
		expect(unmounted.stderr).toContain(`the data volume ${disk} is attached but not mounted at ${SRV}`);
		expect(snapshot()).toBe(before);
		// There: the apps come back, and status.json says the volume came late.
		rmSync(join(T, 'unmounted'));
		const there = sync();
		writeFileSync(confPath, conf);
		expect(there.code, there.stderr).toBe(0);
		expect(dockerLog()).toMatch(/ up -d --pull never/);
		expect(status().dataVolume).toMatch(
			/^the data volume was not there when the server started \(first missed at \d{4}-[\d-]+T[\d:]+Z\); it was mounted at \d{4}-[\d-]+T[\d:]+Z$/
		);
	});

	// Two apps from here on: Miniflux (running since the first commit) and Vaultwarden (added).
	const withVaultwarden = (username: string) => {
		const next = structuredClone(input);
		const apps = next.config.apps as { id: string; inputs: Record<string, string> }[];
		apps[0]!.inputs.admin_username = username;
		apps.push({ id: 'vaultwarden', inputs: {} });
		const five = fixture('five-apps').secrets as { apps: Record<string, unknown> };
		(next.secrets as { apps: Record<string, unknown> }).apps.vaultwarden = five.apps.vaultwarden;
		return next;
	};
	const lines = (re: RegExp) =>
		dockerLog()
			.split('\n')
			.filter((l) => re.test(l));
	const running = (svc: string) =>
		readFileSync(join(T, 'containers', svc), 'utf8')
			.trim()
			.split('\n');

	it('writes each app’s start period and probes each app with its host name and the headers Caddy sends', async () => {
		await writeBundle(withVaultwarden('probed'));
		const health = readFileSync(join(AUTHOR, 'health.list'), 'utf8');
		expect(health).toBe('miniflux 0\nvaultwarden 0\n');
		expect(readFileSync(join(AUTHOR, 'probes.list'), 'utf8')).toMatch(
			/^miniflux http:\/\/miniflux:8080\/healthcheck 200 news\.example\.org$/m
		);
		git(['reset', '-q', '--hard', 'HEAD']);
		git(['clean', '-q', '-fd']);
	});

	it('a new app that never becomes healthy is stopped on its own; the other apps take the new version', async () => {
		await writeBundle(withVaultwarden('partial'));
		const partial = commit('Adds Vaultwarden, which does not start', SIGNER);
		writeFileSync(join(T, 'not-answering'), 'vaultwarden\n');
		writeFileSync(LOG, '');
		const r = sync();
		expect(r.code, r.stderr).toBe(0);
		// Applied: Miniflux runs the new version; Vaultwarden is stopped, not rolled into the others.
		expect(applied()).toBe(partial);
		expect(running('miniflux')).toEqual([partial]);
		expect(running('vaultwarden')).toEqual([partial, 'stopped']);
		expect(lines(/ up -d/)).toHaveLength(1);
		expect(lines(/ stop vaultwarden$/)).toHaveLength(1);
		// The probe was sent as Caddy sends a visitor's request.
		const probe = lines(/exec -T caddy wget .*http:\/\/miniflux:8080\/healthcheck/)[0]!;
		expect(probe).toContain(
			'--header X-Forwarded-Proto: https --header Host: news.example.org --header X-Forwarded-Host: news.example.org'
		);
		const s = status();
		expect(s.result).toBe('partial');
		expect(s.commit).toBe(partial);
		expect(s.apps.miniflux).toBe('healthy');
		expect(s.apps.vaultwarden).toBe('stopped: not answering (502)');
		expect(s.failedApps).toEqual({
			vaultwarden: { from: '', reason: 'not answering (502)', commit: partial, at: expect.stringMatching(/Z$/) }
		});
		expect(s.lastError).toBe(
			'vaultwarden did not start with the latest settings (not answering (502)): it is stopped; the other apps run the new settings'
		);
		// Later checks leave the stopped app alone and keep saying why.
		writeFileSync(LOG, '');
		expect(sync().code).toBe(0);
		expect(lines(/ (up|start) /)).toHaveLength(0);
		expect(status()).toMatchObject({ result: 'partial', commit: partial });
		// After a reboot it stays stopped: the others come back, it is not started again.
		rmSync(RUN, { recursive: true, force: true });
		writeFileSync(LOG, '');
		expect(sync().code).toBe(0);
		const ups = lines(/ up -d/);
		expect(ups).toHaveLength(1);
		expect(ups[0]).toMatch(/ up -d --pull never --remove-orphans miniflux miniflux-db caddy$/);
		expect(running('vaultwarden')).toEqual([partial, 'stopped']);
		// A new commit tries it again with everything else; still not starting, it is stopped again
		// (it never ran well, so there is no earlier version to go back to).
		await writeBundle(withVaultwarden('retried'));
		const retried = commit('Another change', SIGNER);
		writeFileSync(LOG, '');
		expect(sync().code).toBe(0);
		expect(lines(/ up -d --pull never --remove-orphans$/)).toHaveLength(1);
		expect(running('vaultwarden')).toEqual([retried, 'stopped']);
		expect(status()).toMatchObject({ result: 'partial', commit: retried });
		expect(status().failedApps.vaultwarden).toMatchObject({ from: '', commit: retried });
	});

	it('an updated app that fails goes back to its previous version alone; a later commit that fixes it clears it', async () => {
		const before = applied();
		await writeBundle(withVaultwarden('broken-update'));
		const broken = commit('Updates Miniflux, which then fails', SIGNER);
		rmSync(join(T, 'not-answering'));
		writeFileSync(join(T, 'unhealthy'), `${broken} miniflux\n`);
		writeFileSync(LOG, '');
		const r = sync();
		expect(r.code, r.stderr).toBe(0);
		expect(applied()).toBe(broken);
		// Miniflux runs the version of the commit before, with that commit's files; Vaultwarden the new one.
		expect(running('miniflux')).toEqual([before]);
		expect(running('vaultwarden')).toEqual([broken]);
		expect(lines(new RegExp(`releases/${before} .* up -d --pull never --no-deps miniflux miniflux-db$`))).toHaveLength(
			1
		);
		const s = status();
		expect(s.result).toBe('partial');
		expect(s.apps).toMatchObject({ miniflux: 'healthy', vaultwarden: 'healthy', nassella: 'healthy' });
		expect(s.failedApps.miniflux).toMatchObject({ from: before, reason: 'unhealthy', commit: broken });
		expect(s.lastError).toMatch(
			/^miniflux did not start with the latest settings \(unhealthy\): it runs its previous version; /
		);
		// The release it runs is kept while it is held, however many commits come.
		expect(existsSync(join(SRV, 'releases', before))).toBe(true);
		// A commit that works for every app: everything runs it, nothing is held.
		rmSync(join(T, 'unhealthy'));
		await writeBundle(withVaultwarden('fixed'));
		const fixed = commit('Fixes Miniflux', SIGNER);
		expect(sync().code).toBe(0);
		expect(applied()).toBe(fixed);
		expect(running('miniflux')).toEqual([fixed]);
		expect(status().result).toBe('ok');
		expect(status().failedApps).toBeUndefined();
		expect(existsSync(join(SRV, 'state/held.json'))).toBe(false);
	});

	it('each app has its own deadline: a slow app within its start period is waited for, a quick one is not', async () => {
		await writeBundle(withVaultwarden('deadlines'));
		// Vaultwarden may take a minute to start; Miniflux must answer within the shared grace (3 s here).
		writeFileSync(join(AUTHOR, 'health.list'), 'miniflux 0\nvaultwarden 60\n');
		run('bash', [
			'-c',
			`cd "${AUTHOR}" && grep -v '  health.list$' MANIFEST.sha256 > M && sha256sum health.list >> M && LC_ALL=C sort -k2 M > MANIFEST.sha256 && rm M`
		]);
		const slow = commit('Vaultwarden slow to start, Miniflux broken', SIGNER);
		writeFileSync(join(T, 'not-answering'), 'vaultwarden\nminiflux\n');
		// Vaultwarden answers after 6 s: past the grace, within its start period.
		run('bash', [
			'-c',
			`(sleep 6; grep -vx vaultwarden "${T}/not-answering" > "${T}/na"; mv "${T}/na" "${T}/not-answering") >/dev/null 2>&1 &`
		]);
		const t0 = Date.now();
		const r = sync();
		expect(r.code, r.stderr).toBe(0);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(6000);
		expect(applied()).toBe(slow);
		const s = status();
		expect(s.apps.vaultwarden).toBe('healthy');
		expect(Object.keys(s.failedApps)).toEqual(['miniflux']);
		expect(s.failedApps.miniflux.reason).toBe('not answering (502)');
		rmSync(join(T, 'not-answering'), { force: true });
	});
	it('a container compose could not start (a service it waits for was late) is started again within its app’s deadline, and fails alone past it', async () => {
		// Compose stops at a service whose dependency is not healthy yet: started again, it runs.
		await writeBundle(withVaultwarden('late'));
		const late = commit('Vaultwarden’s start stopped once by a late dependency', SIGNER);
		writeFileSync(join(T, 'up-fails'), 'vaultwarden once\n');
		writeFileSync(LOG, '');
		let r = sync();
		expect(r.code, r.stderr).toBe(0);
		expect(r.stderr).toContain('not every container started at once');
		expect(applied()).toBe(late);
		expect(status()).toMatchObject({
			result: 'ok',
			commit: late,
			apps: { miniflux: 'healthy', vaultwarden: 'healthy' }
		});
		expect(lines(/ up -d --pull never vaultwarden$/).length).toBeGreaterThanOrEqual(1);
		// Never started: only that app is held; the others take the new commit.
		await writeBundle(withVaultwarden('never'));
		const never = commit('Vaultwarden never starts', SIGNER);
		writeFileSync(join(T, 'up-fails'), 'vaultwarden\n');
		r = sync();
		expect(r.code, r.stderr).toBe(0);
		expect(applied()).toBe(never);
		expect(running('miniflux')).toEqual([never]);
		const s = status();
		expect(s.result).toBe('partial');
		expect(s.apps.miniflux).toBe('healthy');
		expect(s.failedApps.vaultwarden).toMatchObject({ reason: 'not started', commit: never });
		// Once it can start, the next commit brings it back.
		rmSync(join(T, 'up-fails'));
		await writeBundle(withVaultwarden('started'));
		const started = commit('Vaultwarden starts again', SIGNER);
		expect(sync().code).toBe(0);
		expect(status()).toMatchObject({ result: 'ok', commit: started });
		expect(running('vaultwarden')).toEqual([started]);
	});
	describe('an app that upgrades one major version at a time (Nextcloud)', () => {
		const NC = (v: string) => `nextcloud:${v}-apache`;
		const versions = () => readFileSync(join(SRV, 'data/.nassella/versions'), 'utf8');
		const image = (svc: string) => readFileSync(join(T, 'containers', `${svc}.image`), 'utf8').trim();
		const withNextcloud = (username: string) => {
			const next = withVaultwarden(username);
			(next.config.apps as { id: string; inputs: Record<string, string> }[]).push({
				id: 'nextcloud',
				inputs: { admin_username: 'admin' }
			});
			const five = fixture('five-apps').secrets as { apps: Record<string, unknown> };
			(next.secrets as { apps: Record<string, unknown> }).apps.nextcloud = five.apps.nextcloud;
			return next;
		};
		const stepsAt = (v: string) =>
			`NASSELLA_STEP_NEXTCLOUD_NEXTCLOUD=${NC(v)}\nNASSELLA_STEP_NEXTCLOUD_NEXTCLOUD_CRON=${NC(v)}\n`;
		const backupBeforeUp = () => {
			const log = dockerLog().split('\n');
			const backup = log.findIndex((l) => / run .* backup --quiet/.test(l));
			const up = log.findIndex((l) => / up -d/.test(l));
			return backup > -1 && up > -1 && backup < up;
		};

		it('walks the path one step per start, each after a backup, from the version the data volume says', async () => {
			// A server that runs Nextcloud 32: the version and its images are kept on the data volume.
			mkdirSync(join(SRV, 'data/.nassella'), { recursive: true });
			writeFileSync(join(SRV, 'data/.nassella/versions'), 'nextcloud 32.0.14\n');
			writeFileSync(join(SRV, 'data/.nassella/steps.env'), stepsAt('32.0.14'));
			await writeBundle(withNextcloud('stepwise'));
			expect(readFileSync(join(AUTHOR, 'upgrades.list'), 'utf8')).toBe(
				['32.0.14', '33.0.8', '34.0.3']
					.map((v) => `nextcloud ${v} nextcloud=${NC(v)} nextcloud-cron=${NC(v)}\n`)
					.join('')
			);
			expect(readFileSync(join(AUTHOR, 'docker-compose.yml'), 'utf8')).toContain(
				`image: \${NASSELLA_STEP_NEXTCLOUD_NEXTCLOUD:-${NC('34.0.3')}}`
			);
			const stepwise = commit('Nextcloud 34, reached step by step', SIGNER);
			writeFileSync(LOG, '');
			const r = sync();
			expect(r.code, r.stderr).toBe(0);
			expect(r.stderr).toContain('upgrading step by step: nextcloud 32.0.14 to 33.0.8; a backup first');
			expect(applied()).toBe(stepwise);
			expect(versions()).toBe('nextcloud 33.0.8\n');
			expect([image('nextcloud'), image('nextcloud-cron')]).toEqual([NC('33.0.8'), NC('33.0.8')]);
			expect(backupBeforeUp()).toBe(true);
			expect(status().result).toBe('ok');
			// The next check takes the next step, to this release's version, again after a backup.
			writeFileSync(LOG, '');
			expect(sync().code).toBe(0);
			expect(versions()).toBe('nextcloud 34.0.3\n');
			expect(image('nextcloud')).toBe(NC('34.0.3'));
			expect(backupBeforeUp()).toBe(true);
			// At the end of the path nothing more happens; after a reboot it starts as it ran.
			writeFileSync(LOG, '');
			expect(sync().code).toBe(0);
			expect(dockerLog()).not.toMatch(/ up -d| backup --quiet/);
			rmSync(RUN, { recursive: true, force: true });
			expect(sync().code).toBe(0);
			expect(image('nextcloud')).toBe(NC('34.0.3'));
		});

		it('a step that does not start: the app runs the version it ran, and the step waits for a new commit', async () => {
			writeFileSync(join(SRV, 'data/.nassella/versions'), 'nextcloud 33.0.8\n');
			writeFileSync(join(SRV, 'data/.nassella/steps.env'), stepsAt('33.0.8'));
			writeFileSync(join(T, 'unhealthy'), `image ${NC('34.0.3')}\n`);
			await writeBundle(withNextcloud('broken-step'));
			const broken = commit('A change while Nextcloud 34 does not start', SIGNER);
			writeFileSync(LOG, '');
			const r = sync();
			expect(r.code, r.stderr).toBe(0);
			expect(applied()).toBe(broken);
			expect(versions()).toBe('nextcloud 33.0.8\n');
			expect(image('nextcloud')).toBe(NC('33.0.8'));
			const s = status();
			expect(s.result).toBe('partial');
			expect(s.failedApps.nextcloud).toMatchObject({ reason: 'unhealthy' });
			expect(s.apps.vaultwarden).toBe('healthy');
			// Not tried again at every check: only a new commit tries the step again.
			writeFileSync(LOG, '');
			expect(sync().code).toBe(0);
			expect(dockerLog()).not.toMatch(/ up -d| backup --quiet/);
			rmSync(join(T, 'unhealthy'));
		});
	});
	// Restore at first boot runs with real restic in lifecycle.test.ts.
});
