/**
 * The sandbox stand-in for a Flatcar server (workers/sandbox/server/), driven by real
 * deployments: the deploy engine with the real adapters, generator, keys and signed
 * commits against the sandbox over HTTP, then the app's own ServerLink reading status and
 * journal the way the dashboard does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/core/errors.ts';
import { allHealthy, type ServerStatus } from '../../src/lib/core/server/status.ts';
import { deploy, startSandbox, until, type Deployed, type Sandbox } from './sandbox-server.ts';

const TIMING = { bootMs: 100, importMs: 50, builderMs: 100, snapshotMs: 50, applyMs: 150, syncMs: 100, backupMs: 150 };
const BACKUPS = {
	endpoint: 's3.sandbox-storage.example',
	bucket: 'family-backups',
	accessKeyId: 'AKIDSANDBOX',
	secretAccessKey: 'sandbox-secret-key',
	resticPassword: 'restic-password-one-0123456789abc'
};

let sb: Sandbox;
let first: Deployed;

beforeAll(async () => {
	sb = await startSandbox(TIMING);
	first = await deploy(sb, {
		id: 'nsimfirst001',
		cloud: 'sandbox-digitalocean',
		apps: ['vaultwarden', 'memos'],
		backups: BACKUPS
	});
}, 60_000);
afterAll(() => sb?.close());

const healthy = (s: ServerStatus) => allHealthy(s, ['vaultwarden', 'memos']);

async function journal(d: Deployed, query: Parameters<ReturnType<Deployed['link']>['journal']>[0] = {}) {
	const out: Record<string, unknown>[] = [];
	for await (const batch of d.link().journal(query)) out.push(...batch);
	return out;
}

describe('a deployed sandbox server', () => {
	it('pulls the signed bundle, applies it and reports every app healthy', async () => {
		expect(first.state.phase).toBe('done');
		const status = await until(() => first.link().status(), healthy);
		expect(status.apps).toEqual({ vaultwarden: 'healthy', memos: 'healthy' });
		expect(status.result).toBe('ok');
		expect(status.commit).toBe(await first.git.head(first.repo));
		expect(status.appliedAt).toMatch(/^\d{4}-/);
		expect(status.os.version).toMatch(/^\d+\.\d+\.\d+$/);
		expect(status.identity).toBe(first.keys.age.recipient);
		expect(status.disk?.data?.totalBytes).toBeGreaterThan(0);
	});

	it('checks basic auth against the hash in the Caddyfile', async () => {
		const error = await first
			.link('not-the-password')
			.status()
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ProviderError);
		expect((error as ProviderError).code).toBe('unauthorized');
		const anonymous = await fetch(`${sb.base}/sandbox/server/${first.adminHost}/status.json`);
		expect(anonymous.status).toBe(401);
		expect(anonymous.headers.get('www-authenticate')).toBeNull();
	});

	it('answers only where the sandbox DNS points a name at a running server', async () => {
		const nowhere = await fetch(`${sb.base}/sandbox/server/nassella.unknown.${'nassella-sandbox.example'}/status.json`);
		expect(nowhere.status).toBe(502);
		const ip = await fetch(`${sb.base}/sandbox/server/203.0.113.20/status.json`);
		expect(ip.status).toBe(400);
	});

	it('keeps a journal in gatewayd shape, with Range, matches and follow', async () => {
		const all = await journal(first);
		expect(all.length).toBeGreaterThan(10);
		for (const e of all) {
			for (const field of ['__CURSOR', '__REALTIME_TIMESTAMP', 'PRIORITY', 'MESSAGE', 'SYSLOG_IDENTIFIER'])
				expect(typeof e[field], field).toBe('string');
		}
		expect(all.some((e) => e._SYSTEMD_UNIT === 'nassella-sync.service')).toBe(true);
		expect(all.some((e) => e.CONTAINER_NAME === 'nassella-vaultwarden-1')).toBe(true);

		const last3 = await journal(first, { skip: -3, count: 3 });
		expect(last3.map((e) => e.__CURSOR)).toEqual(all.slice(-3).map((e) => e.__CURSOR));
		const after = await journal(first, { cursor: all[4]!.__CURSOR as string, count: 2 });
		expect(after.map((e) => e.__CURSOR)).toEqual(all.slice(5, 7).map((e) => e.__CURSOR));
		const vault = await journal(first, { matches: { CONTAINER_NAME: 'nassella-vaultwarden-1' } });
		expect(vault.length).toBeGreaterThan(0);
		expect(vault.every((e) => e.CONTAINER_NAME === 'nassella-vaultwarden-1')).toBe(true);

		// Follow: the answer stays open and brings the lines of a later change.
		const controller = new AbortController();
		const seen: Record<string, unknown>[] = [];
		const following = (async () => {
			for await (const batch of first.link().journal({ follow: true, skip: -1, count: 1000 }, controller.signal)) {
				seen.push(...batch);
				if (seen.some((e) => /Applied/.test(String(e.MESSAGE)) && e !== seen[0])) controller.abort();
			}
		})();
		const files = await first.render([{ path: 'requests.json', content: '{"note":"follow"}\n' }]);
		await first.commit(files, 'A change to follow');
		await Promise.race([following, new Promise((r) => setTimeout(r, 8000))]);
		controller.abort();
		expect(seen.some((e) => /^Fetched/.test(String(e.MESSAGE)))).toBe(true);
	});

	it('refuses a commit that is not signed by an allowed key', async () => {
		const before = await first.link().status();
		const head = await first.git.head(first.repo);
		const files = await first.render([{ path: 'requests.json', content: '{"note":"forged"}\n' }]);
		const forged = async (payload: string) => {
			const { generateSshKey, sshSign } = await import('../../src/lib/adapters/ssh-signature/index.ts');
			return sshSign(await generateSshKey('someone-else'), payload);
		};
		const { sha } = await first.git.commit(first.repo, files, 'Forged', head, forged);
		const status = await until(
			() => first.link().status(),
			(s) => s.result === 'refused'
		);
		expect(status.lastError).toMatch(/not signed by a key this server trusts/);
		expect(status.commit).toBe(before.commit);
		expect(status.commit).not.toBe(sha);
		// A properly signed commit afterwards is applied again.
		const next = await first.commit(await first.render(), 'Signed again');
		expect(
			(
				await until(
					() => first.link().status(),
					(s) => s.commit === next
				)
			).result
		).toBe('ok');
	});

	it('goes back to the last good commit when an app does not become healthy', async () => {
		const good = (await first.link().status()).commit;
		const queued = await sb.control('server-faults', { host: first.adminHost, fault: 'app-unhealthy', app: 'memos' });
		expect(queued.status).toBe(200);
		const bad = await first.commit(
			await first.render([{ path: 'requests.json', content: '{"note":"bad"}\n' }]),
			'A change memos does not survive'
		);
		const status = await until(
			() => first.link().status(),
			(s) => s.result === 'rolled-back'
		);
		expect(status.commit).toBe(good);
		expect(status.lastError).toContain(bad.slice(0, 7));
		expect(status.apps).toEqual({ vaultwarden: 'healthy', memos: 'healthy' });
	});

	it('runs a requested backup into the shared restic repository, then a drill', async () => {
		const sha = await first.commit(
			await first.render([{ path: 'requests.json', content: '{"backup":"b-1"}\n' }]),
			'Back up now'
		);
		const status = await until(
			() => first.link().status(),
			(s) => s.commit === sha && s.requests?.backup?.state === 'done'
		);
		expect(status.requests?.backup).toMatchObject({ id: 'b-1', state: 'done' });
		expect(status.backup?.result).toBe('ok');
		expect(status.backup?.snapshots).toHaveLength(1);
		expect(status.backup?.sizeBytes).toBeGreaterThan(0);

		await first.commit(
			await first.render([{ path: 'requests.json', content: '{"backup":"b-1","drill":"d-1"}\n' }]),
			'Restore drill'
		);
		const drilled = await until(
			() => first.link().status(),
			(s) => s.requests?.drill?.state === 'done'
		);
		expect(drilled.requests?.drill?.files).toBeGreaterThan(0);
		expect(drilled.requests?.drill?.snapshot).toBe(status.backup!.snapshots![0]!.id.slice(0, 8));
		// The same id is not handled twice.
		expect(drilled.backup?.snapshots).toHaveLength(1);

		await sb.control('server-faults', { host: first.adminHost, fault: 'backup-fails' });
		await first.commit(
			await first.render([{ path: 'requests.json', content: '{"backup":"b-2","drill":"d-1"}\n' }]),
			'Back up again'
		);
		const failed = await until(
			() => first.link().status(),
			(s) => s.requests?.backup?.id === 'b-2' && s.requests.backup.state !== 'running'
		);
		expect(failed.requests?.backup?.state).toBe('failed');
		expect(failed.backup?.result).toBe('failed');
		expect(failed.backup?.error).toMatch(/sandbox fault/);
	});
});

describe('restore from backup on a new server in another provider', () => {
	it('restores the newest snapshot before the apps start, with the same data', async () => {
		const second = await deploy(sb, {
			id: 'nsimsecond02',
			cloud: 'sandbox-hetzner',
			apps: ['vaultwarden', 'memos'],
			backups: BACKUPS,
			restoreFromBackup: true
		});
		expect(second.state.phase).toBe('done');
		const status = await until(() => second.link().status(), healthy);
		expect(status.restore?.state).toBe('done');
		expect(status.restore?.steps?.every((s) => s.state === 'done')).toBe(true);
		const state = (await sb.control('state')).body.server as {
			servers: { name: string; data: Record<string, string> }[];
		};
		const [a, b] = ['nsimfirst001', 'nsimsecond02'].map((id) => state.servers.find((s) => s.name.includes(id))!);
		expect(b!.data).toEqual(a!.data);
		expect(Object.values(b!.data).join()).toMatch(/first started on nassella-nsimfirst001/);
	}, 60_000);

	it('fails clearly with a wrong restic password and does not start the apps', async () => {
		const third = await deploy(sb, {
			id: 'nsimthird003',
			cloud: 'sandbox-digitalocean',
			apps: ['vaultwarden'],
			backups: { ...BACKUPS, resticPassword: 'a-different-password-0123456789' },
			restoreFromBackup: true
		});
		// The deploy's last step reads the server's report and stops with its reason.
		expect(third.state.phase).toBe('failed');
		expect(third.state.steps['wait-https']?.error?.message).toMatch(/could not restore your backup: .*wrong password/);
		const status = await until(
			() => third.link().status(),
			(s) => s.restore?.state === 'failed'
		);
		expect(status.restore?.error).toMatch(/wrong password/);
		expect(status.apps).toEqual({ vaultwarden: 'not started (restore failed)' });
		expect(status.commit).toBeNull();
		expect(status.result).toBe('error');
	}, 60_000);

	it('fails clearly when there is no snapshot to restore', async () => {
		await sb.control('server-faults', { next: true, fault: 'restore-fails' });
		const fourth = await deploy(sb, {
			id: 'nsimfourth04',
			cloud: 'sandbox-digitalocean',
			apps: ['memos'],
			backups: { ...BACKUPS, bucket: 'empty-bucket' },
			restoreFromBackup: true
		});
		expect(fourth.state.phase).toBe('failed');
		const status = await until(
			() => fourth.link().status(),
			(s) => s.restore?.state === 'failed'
		);
		// The queued fault went to this server (the next one to boot).
		expect(status.restore?.error).toMatch(/sandbox fault/);
		const again = await fourth.commit(await fourth.render(), 'Try the restore again');
		const retried = await until(
			() => fourth.link().status(),
			(s) => s.restore?.state === 'failed' && !/sandbox fault/.test(s.restore.error ?? '')
		);
		expect(retried.restore?.error).toMatch(/does not exist|no snapshot/);
		expect(retried.commit).not.toBe(again);
	}, 60_000);
});

describe('control endpoint', () => {
	it('refuses unknown faults and lists servers in the state', async () => {
		expect((await sb.control('server-faults', { host: first.adminHost, fault: 'melt' })).status).toBe(400);
		expect((await sb.control('server-faults', { host: first.adminHost, fault: 'app-unhealthy' })).status).toBe(400);
		expect((await sb.control('server-faults', { host: 'nowhere.example', fault: 'backup-fails' })).status).toBe(400);
		const state = (await sb.control('state')).body.server as { label: string; servers: unknown[] };
		expect(state.label).toMatch(/Sandbox stand-ins for Flatcar/);
		expect(state.servers.length).toBeGreaterThanOrEqual(1);
	});

	it('empties the servers and the backup repositories on reset', async () => {
		expect((await sb.control('reset', { timing: TIMING })).status).toBe(200);
		const state = (await sb.control('state')).body.server as { servers: unknown[]; restic: object };
		expect(state.servers).toEqual([]);
		expect(state.restic).toEqual({});
		expect((await fetch(`${sb.base}/sandbox/server/${first.adminHost}/status.json`)).status).toBe(502);
	});
});
