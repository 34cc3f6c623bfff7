/**
 * `npm run live-check` against the sandbox: the local entry's sandbox mounts on a free loopback
 * port, a stand-in for the Flatcar release and download hosts (`--images`), and the kit run as
 * the person runs it, in a process of its own on the project's Node, with a canary token that
 * must never come out. Figures are compared with the sandbox's own data, and what a deployment
 * leaves behind with the sandbox's own state.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FLATCAR_DIGITALOCEAN_IMAGE } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { flatcarHetznerImageUrl } from '../../src/lib/adapters/hetzner/builder.ts';
import { resolveDownload } from '../../src/lib/core/model/downloads.ts';
import { createLocalServer } from '../../workers/local/server.ts';
import { REGIONS } from '../../workers/sandbox/digitalocean/regions.ts';
import { SIZES } from '../../workers/sandbox/digitalocean/sizes.ts';
import { githubSandboxMount } from '../../workers/sandbox/github/index.ts';
import { sandboxMount } from '../../workers/sandbox/index.ts';
import { Scrubber } from './net.ts';
import { writeReport, type Report } from './report.ts';

const ROOT = join(import.meta.dirname, '../..');
/** The project's Node 24 (a devDependency), as `npm run live-check` uses it. */
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
const KIT = join(ROOT, 'tests/live/live-check.ts');
const CANARY = 'lc-canary-7d1f0c93e5a84b26b9e1';
const TIMING = { bootMs: 200, importMs: 200, builderMs: 200, snapshotMs: 200, applyMs: 200, syncMs: 200 };
const TOKEN_VARS = [
	'NASSELLA_DIGITALOCEAN_TOKEN',
	'NASSELLA_HETZNER_TOKEN',
	'NASSELLA_CLOUDFLARE_TOKEN',
	'NASSELLA_DESEC_TOKEN',
	'NASSELLA_GITHUB_TOKEN',
	'NASSELLA_GITLAB_TOKEN'
];

const github = githubSandboxMount();
let sandbox: Server;
let base = '';
let mirror: Server;
let mirrorBase = '';
/** Files the stand-in release hosts do not have (answered 404). */
const missing = new Set<string>();
const work = mkdtempSync(join(tmpdir(), 'nassella-live-check-'));

/** The files the app has servers download, by host and path, each with a size of its own. */
const FILES = new Map<string, number>(
	[
		FLATCAR_DIGITALOCEAN_IMAGE,
		flatcarHetznerImageUrl('stable', 'x86'),
		`${flatcarHetznerImageUrl('stable', 'x86')}.DIGESTS`,
		resolveDownload('composeSysext', undefined, 'amd64').url,
		resolveDownload('age', undefined, 'amd64').url
	].map((url, i) => {
		const u = new URL(url);
		return [`/${u.host}${u.pathname}`, 1_000_000 * (i + 1) + 17];
	})
);

async function control(action: string, body?: unknown): Promise<Record<string, unknown>> {
	const r = await fetch(`${base}/sandbox/_control/${action}`, {
		method: body === undefined ? 'GET' : 'POST',
		headers: body === undefined ? {} : { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	expect(r.status).toBe(200);
	return (await r.json()) as Record<string, unknown>;
}

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
	out: string;
	report?: Report;
	md?: string;
}

function start(args: string[], env: Record<string, string>, out: string) {
	const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NASSELLA_'))) as Record<
		string,
		string
	>;
	const child = spawn(NODE, [KIT, '--base', base, '--out', out, ...args], {
		cwd: ROOT,
		env: { ...clean, ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
	child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
	const done = new Promise<Run>((resolve) =>
		child.on('close', (code) => {
			const json = join(out, 'live-check-report.json');
			const md = join(out, 'live-check-report.md');
			resolve({
				code,
				stdout,
				stderr,
				out,
				...(existsSync(json) ? { report: JSON.parse(readFileSync(json, 'utf8')) as Report } : {}),
				...(existsSync(md) ? { md: readFileSync(md, 'utf8') } : {})
			});
		})
	);
	return { child, done };
}

let runs = 0;
function run(args: string[], env: Record<string, string>): Promise<Run> {
	runs += 1;
	return start(args, env, join(work, `run${runs}`)).done;
}

const tokens = (vars = TOKEN_VARS) => Object.fromEntries(vars.map((v) => [v, CANARY]));

/** The canary token appears nowhere the kit writes. */
function expectNoCanary(r: Run) {
	expect(r.stdout).not.toContain(CANARY);
	expect(r.stderr).not.toContain(CANARY);
	expect(r.report).toBeDefined();
	expect(JSON.stringify(r.report)).not.toContain(CANARY);
	expect(r.md).not.toContain(CANARY);
	for (const file of ['live-check-report.json', 'live-check-report.md', 'deployment-state.json'])
		if (existsSync(join(r.out, file))) expect(readFileSync(join(r.out, file), 'utf8')).not.toContain(CANARY);
}

beforeAll(async () => {
	sandbox = createLocalServer({
		root: 'static',
		mounts: [github, sandboxMount(TIMING, { git: () => github.fake })]
	});
	await new Promise<void>((r) => sandbox.listen(0, '127.0.0.1', r));
	base = `http://127.0.0.1:${(sandbox.address() as AddressInfo).port}`;
	// A stand-in for the release and download hosts, in the relay's URL form: /<host>/<path>.
	mirror = createServer((req, res) => {
		const path = new URL(req.url ?? '/', 'http://x').pathname;
		const size = FILES.get(path);
		if (size === undefined || missing.has(path) || (req.method !== 'HEAD' && req.method !== 'GET'))
			return void res.writeHead(404).end();
		res.writeHead(200, {
			'content-length': String(size),
			'content-type': 'application/octet-stream',
			'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT'
		});
		res.end(req.method === 'HEAD' ? undefined : Buffer.alloc(size));
	});
	await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
	mirrorBase = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
});

beforeEach(async () => {
	missing.clear();
	await control('reset', { timing: TIMING });
});

afterAll(async () => {
	await new Promise<void>((r) => {
		sandbox.closeAllConnections();
		sandbox.close(() => r());
	});
	await new Promise<void>((r) => mirror.close(() => r()));
	rmSync(work, { recursive: true, force: true });
});

describe('live-check never writes a secret', () => {
	it('scrubs a token in every form it could be written in, JSON escapes and table cells included', () => {
		const token = 'tok"en|\\é-4f1c9a';
		const scrub = new Scrubber();
		scrub.add(token);
		const forms = [token, encodeURIComponent(token), Buffer.from(token).toString('base64')];
		for (const f of forms) expect(scrub.text(`before ${f} after`)).toBe('before [redacted] after');
		const out = join(work, 'scrubbed');
		const report: Report = {
			tool: 'nassella live-check',
			startedAt: new Date().toISOString(),
			target: { kind: 'real', origin: 'http://127.0.0.1:4173' },
			node: process.version,
			verdict: 'fail',
			summary: { pass: 0, fail: 1, skip: 0, info: 0 },
			providers: [
				{
					id: 'desec',
					name: 'deSEC',
					kind: 'dns',
					env: 'NASSELLA_DESEC_TOKEN',
					verdict: 'fail',
					checks: [{ name: 'token', verdict: 'fail', detail: `refused: ${token}` }],
					account: forms[1]
				}
			],
			downloads: [],
			log: [`a line with ${forms[2]}`]
		};
		const files = writeReport(out, report, scrub);
		for (const file of [files.json, files.md]) {
			const text = readFileSync(file, 'utf8');
			expect(text).toContain('[redacted]');
			for (const f of [...forms, JSON.stringify(token).slice(1, -1), token.replace('|', '\\|')])
				expect(text).not.toContain(f);
		}
	});
});

describe('live-check, read-only', () => {
	it('looks at every provider with a token and reports every figure, and the token never comes out', async () => {
		const r = await run(['--images', mirrorBase, '--domain', 'nassella-sandbox.example'], tokens());
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		expectNoCanary(r);
		const report = r.report!;
		expect(report.target).toMatchObject({ kind: 'sandbox', sandbox: base });
		expect(report.providers.map((p) => p.id)).toEqual([
			'digitalocean',
			'hetzner',
			'cloudflare',
			'desec',
			'github',
			'gitlab'
		]);
		const by = (id: string) => report.providers.find((p) => p.id === id)!;
		expect(by('gitlab').skipped).toBe('the sandbox has no stand-in for GitLab');

		// Figures, against the sandbox's own price list.
		const doSizes = by('digitalocean').sizes!;
		expect(doSizes.count).toBe(SIZES.length);
		expect(doSizes.cheapest?.monthlyPrice).toBe(Math.min(...SIZES.map((s) => s.price_monthly)));
		// memos needs 512 MiB for the system and 64 MiB of its own: the 512 MiB droplet is too small.
		expect(doSizes.smallestForApp).toMatchObject({ app: 'memos', id: 's-1vcpu-1gb', monthlyPrice: 6 });
		for (const id of ['digitalocean', 'hetzner']) {
			const p = by(id);
			expect(p.regions!.count).toBeGreaterThan(0);
			expect(p.regions!.ids).toHaveLength(p.regions!.count);
			expect(p.sizes!.cheapest!.monthlyPrice).toBeGreaterThan(0);
			expect(p.volumePrice!.monthlyPerGiB).toBeGreaterThan(0);
			// Every image the app downloads answered the stand-in's HEAD, with its size.
			expect(p.images!.length).toBeGreaterThan(0);
			for (const image of p.images!) {
				expect(image.verdict).toBe('pass');
				expect(image.contentLength).toBe(FILES.get(new URL(image.url).pathname));
			}
		}
		expect(by('hetzner').images!.map((i) => i.url.split('/').pop())).toEqual([
			'flatcar_production_hetzner_image.bin.bz2',
			'flatcar_production_hetzner_image.bin.bz2.DIGESTS'
		]);
		for (const id of ['cloudflare', 'desec']) expect(by(id).zone).toMatchObject({ name: 'nassella-sandbox.example' });
		expect(report.downloads.map((d) => d.what)).toEqual(['Docker Compose extension', 'age']);
		for (const d of report.downloads) {
			expect(d.verdict).toBe('pass');
			expect(d.contentLength).toBe(FILES.get(new URL(d.url).pathname));
		}

		// Rate-limit headers as each fake sends them, and the calls that carried them.
		expect(Object.keys(by('digitalocean').rateLimit!.headers)).toEqual(
			expect.arrayContaining(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'])
		);
		expect(Object.keys(by('github').rateLimit!.headers)).toEqual(
			expect.arrayContaining(['x-ratelimit-limit', 'x-ratelimit-remaining'])
		);
		// A real preflight went out for every provider looked at, and its answer is recorded.
		for (const p of report.providers.filter((x) => !x.skipped)) {
			expect(p.account).toBeTruthy();
			expect(p.checks.find((c) => c.name === 'token')?.verdict).toBe('pass');
			expect(p.cors).toMatchObject({ origin: base, requestMethod: 'GET', verdict: 'info' });
			expect(typeof p.cors!.status).toBe('number');
			expect(p.calls!.some((c) => c.method === 'OPTIONS' && c.status === p.cors!.status)).toBe(true);
			for (const c of p.calls!) expect(c.ms).toBeGreaterThanOrEqual(0);
			for (const c of p.checks.filter((x) => x.verdict === 'pass')) expect(c.ms).toBeGreaterThanOrEqual(0);
		}
		expect(report.summary.fail).toBe(0);
		expect(report.summary.pass).toBeGreaterThan(10);

		// The Markdown has the summary table and a section per provider.
		expect(r.md).toContain('## Summary');
		for (const p of report.providers) expect(r.md).toContain(`## ${p.name}`);
		const cheapest = [...SIZES].sort((x, y) => x.price_monthly - y.price_monthly)[0]!;
		expect(r.md).toContain(
			`| DigitalOcean | pass | ${REGIONS.length} | ${SIZES.length}; ${cheapest.slug} ${cheapest.price_monthly.toFixed(2)} USD/mo | 200 |`
		);
		expect(r.md).toContain('| GitLab | skipped: the sandbox has no stand-in for GitLab |');

		// The sandbox checked every request the adapters sent against the providers' specs (the
		// preflight is the kit's own: no spec lists OPTIONS, and the GitHub fake notes it as unknown).
		const state = await control('state');
		expect(Object.values(state.violations as Record<string, unknown[]>).flat()).toEqual([]);
		expect(github.fake.violations.filter((v) => v !== 'OPTIONS /user: not an endpoint the fake knows')).toEqual([]);
	}, 120_000);

	it('lists a provider without a token as skipped, and without --images says the sandbox has no images', async () => {
		const r = await run(['--only', 'digitalocean,desec'], tokens(['NASSELLA_DIGITALOCEAN_TOKEN']));
		expect(r.code).toBe(0);
		expectNoCanary(r);
		expect(r.report!.providers.map((p) => [p.id, p.skipped])).toEqual([
			['digitalocean', undefined],
			['desec', 'no token']
		]);
		expect(r.stdout).toContain('desec: skipped: no token');
		const image = r.report!.providers[0]!.checks.find((c) => c.name.startsWith('image '))!;
		expect(image.verdict).toBe('skip');
		expect(image.detail).toMatch(/sandbox serves no Flatcar images/);
	}, 120_000);

	it('says plainly when a token is refused, reports the rest and exits 1, without a crash', async () => {
		// The sandbox's deSEC stops accepting any token, as after the person revoked theirs.
		await control('faults', { provider: 'desec', fault: { kind: 'revoked' } });
		const r = await run(['--only', 'digitalocean,desec'], tokens());
		expect(r.code).toBe(1);
		expectNoCanary(r);
		expect(r.stdout).toMatch(/^desec: FAIL token: refused: deSEC did not accept the token\. \(HTTP 401\) .+$/m);
		expect(r.stderr).toBe('');
		expect(r.stdout).not.toMatch(/\n\s+at /);
		const desec = r.report!.providers.find((p) => p.id === 'desec')!;
		expect(desec.verdict).toBe('fail');
		expect(r.report!.providers.find((p) => p.id === 'digitalocean')!.verdict).toBe('pass');
		expect(r.report!.verdict).toBe('fail');
		expect(r.md).toMatch(/\| deSEC \| \*\*FAIL\*\* \|/);
	}, 120_000);

	it('fails the image check when an image does not answer', async () => {
		const digests = new URL(`${flatcarHetznerImageUrl('stable', 'x86')}.DIGESTS`);
		missing.add(`/${digests.host}${digests.pathname}`);
		const r = await run(['--only', 'hetzner', '--images', mirrorBase], tokens());
		expect(r.code).toBe(1);
		expectNoCanary(r);
		const images = r.report!.providers[0]!.images!;
		expect(images.map((i) => [i.status, i.verdict])).toEqual([
			[200, 'pass'],
			[404, 'fail']
		]);
	}, 120_000);
});

/** What the sandbox still holds of a deployment: cloud resources tagged or labelled with it, DNS, the repo. */
async function remains(id: string) {
	const state = (await control('state')) as Record<string, Record<string, unknown>>;
	const doState = state.digitalocean as Record<string, { tags?: string[]; name?: string }[]>;
	const hz = state.hetzner as Record<string, { labels?: Record<string, string> }[]>;
	return {
		digitalocean: ['droplets', 'volumes', 'firewalls', 'images'].flatMap((k) =>
			(doState[k] ?? []).filter((r) => (r.tags ?? []).includes(`nassella-deployment:${id}`) || r.name?.includes(id))
		),
		digitaloceanImages: doState.images ?? [],
		hetzner: ['servers', 'volumes', 'firewalls'].flatMap((k) =>
			(hz[k] ?? []).filter((r) => r.labels?.['nassella-deployment'] === id)
		),
		dns: JSON.stringify([state.desec, state.cloudflare]).includes(id),
		repo: github.fake.refs(`sandbox-user/nassella-${id}-config`)
	};
}

describe('live-check --deploy, against the sandbox', () => {
	it('deploys one app with the app’s engine, destroys it, and nothing is left', async () => {
		const r = await run(['--only', 'digitalocean', '--deploy', 'digitalocean'], tokens());
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		expectNoCanary(r);
		const d = r.report!.deploy!;
		expect(d).toMatchObject({ verdict: 'pass', cloud: 'digitalocean', dns: 'desec', git: 'github', app: 'memos' });
		expect(d.phase).toBe('done');
		expect(d.size).toMatchObject({ id: 's-1vcpu-1gb' });
		expect(d.steps!.map((s) => s.status)).toEqual(d.steps!.map(() => 'done'));
		expect(d.status).toMatchObject({ result: 'ok', apps: { memos: 'healthy' } });
		expect(d.status!.commit).toMatch(/^[0-9a-f]{40}$/);
		expect(d.server!.ipv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
		expect(d.destroy!.phase).toBe('destroyed');
		expect(d.image).toMatchObject({ existedBefore: false, action: 'made by this run and removed' });
		expect(d.leftovers!.map((c) => [c.name, c.verdict])).toEqual([
			['cloud resources labelled with the deployment', 'pass'],
			['DNS records', 'pass'],
			['repository', 'pass'],
			['new resources labelled managed-by=nassella', 'pass']
		]);
		// The sandbox agrees: nothing of the deployment is there, the image the run made neither.
		const left = await remains(d.deploymentId!);
		expect(left).toEqual({ digitalocean: [], digitaloceanImages: [], hetzner: [], dns: false, repo: undefined });
		expect(r.md).toContain('## Deployment');
	}, 240_000);

	it('reports a destroy that fails with everything it left, exits 1, and --cleanup finishes it', async () => {
		// deSEC answers 503 to every try of deleting the two records (each DELETE is tried 5 times).
		await control('faults', {
			provider: 'desec',
			fault: { kind: 'server-error', method: 'DELETE', path: '/rrsets/', times: 10 }
		});
		const out = join(work, 'destroy-fails');
		const r = await start(['--only', 'digitalocean', '--deploy', 'digitalocean'], tokens(), out).done;
		expect(r.code).toBe(1);
		expectNoCanary(r);
		const d = r.report!.deploy!;
		expect(d.phase).toBe('done');
		expect(d.verdict).toBe('fail');
		expect(d.destroy!.phase).toBe('destroying');
		expect(d.destroy!.error).toMatch(/deSEC/);
		const verdicts = Object.fromEntries(d.leftovers!.map((c) => [c.name, c.verdict]));
		expect(verdicts).toEqual({
			'cloud resources labelled with the deployment': 'fail',
			'DNS records': 'fail',
			repository: 'fail',
			'new resources labelled managed-by=nassella': 'fail'
		});
		expect(d.leftovers!.find((c) => c.name === 'DNS records')!.detail).toContain(`A memos.${d.domain}`);
		expect(d.image?.action).toMatch(/kept while the deployment is not removed/);
		expect(r.md).toMatch(/\| DNS records \| \*\*FAIL\*\* \| left: A /);
		expect((await remains(d.deploymentId!)).digitalocean.length).toBeGreaterThan(0);

		const c = await start(['--cleanup'], tokens(), out).done;
		expect(c.code).toBe(0);
		expectNoCanary(c);
		expect(c.report!.deploy!.leftovers!.every((x) => x.verdict === 'pass')).toBe(true);
		expect(c.report!.deploy!.image?.action).toBe('made by this run and removed');
		expect(await remains(d.deploymentId!)).toEqual({
			digitalocean: [],
			digitaloceanImages: [],
			hetzner: [],
			dns: false,
			repo: undefined
		});
	}, 240_000);

	it('a run stopped with Ctrl-C removes what the deployment made', async () => {
		const out = join(work, 'interrupted');
		const { child, done } = start(['--only', 'digitalocean', '--deploy', 'digitalocean'], tokens(), out);
		// Stopped once the server exists.
		await waitForStep(out, 'server');
		child.kill('SIGINT');
		const r = await done;
		expect(r.code).toBe(1);
		expectNoCanary(r);
		const d = r.report!.deploy!;
		expect(d.verdict).toBe('fail');
		expect(d.phase).toBe('cancelled');
		expect(d.destroy!.phase).toBe('destroyed');
		expect(d.leftovers!.every((c) => c.verdict === 'pass')).toBe(true);
		const left = await remains(d.deploymentId!);
		expect(left).toMatchObject({ digitalocean: [], dns: false, repo: undefined });
	}, 240_000);

	it('--cleanup removes the deployment of a run that died', async () => {
		const out = join(work, 'killed');
		const { child, done } = start(['--only', 'digitalocean', '--deploy', 'digitalocean'], tokens(), out);
		const id = await waitForStep(out, 'server');
		child.kill('SIGKILL');
		await done;
		const before = await remains(id);
		expect(before.digitalocean.length).toBeGreaterThan(0);
		const r = await new Promise<Run>((resolve) => void start(['--cleanup'], tokens(), out).done.then(resolve));
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		expectNoCanary(r);
		const d = r.report!.deploy!;
		expect(d).toMatchObject({ verdict: 'pass', deploymentId: id, cloud: 'sandbox-digitalocean' });
		expect(d.destroy!.phase).toBe('destroyed');
		expect(d.leftovers!.every((c) => c.verdict === 'pass')).toBe(true);
		expect(d.image?.action).toBe('made by this run and removed');
		const left = await remains(id);
		expect(left).toEqual({ digitalocean: [], digitaloceanImages: [], hetzner: [], dns: false, repo: undefined });
	}, 240_000);
});

/** Waits until the saved deployment state shows `step` done; returns the deployment id. */
async function waitForStep(out: string, step: string): Promise<string> {
	const file = join(out, 'deployment-state.json');
	const end = Date.now() + 120_000;
	for (;;) {
		if (existsSync(file)) {
			try {
				const s = JSON.parse(readFileSync(file, 'utf8')) as { id: string; steps: Record<string, { status: string }> };
				if (s.steps[step]?.status === 'done') return s.id;
			} catch {
				// Read while it was being replaced: look again.
			}
		}
		if (Date.now() > end) throw new Error(`The deployment did not reach ${step}.`);
		await new Promise((r) => setTimeout(r, 100));
	}
}
