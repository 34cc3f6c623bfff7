/**
 * The deploy engine with the real adapters (DigitalOcean, deSEC, GitHub, the DNS-over-HTTPS
 * probe) against the sandbox over HTTP, as `npm start` serves it: a local server on a free
 * loopback port with the sandbox mounts, 150 ms latency on every provider answer (the
 * sandbox's `/sandbox/_control/latency`, and the same delay in front of the sandbox GitHub),
 * and a fixed simulated boot time (`/sandbox/_control/reset` with its timing).
 *
 * Measured from wall-clock time, with the median of a few runs at 150 ms and at 0 ms of
 * latency (everything else equal):
 * - sequential round trips on the critical path: (time at 150 ms − time at 0 ms) / 150 ms;
 * - the client's own overhead: the CPU time the client process spends on the deployment (the
 *   sandbox runs in a process of its own, as with `npm start`); the time at 0 ms latency beyond
 *   the boot is reported too, an upper bound that also holds the sandbox's work and polling.
 */
import { spawn } from 'node:child_process';
import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { DesecDns } from '../../src/lib/adapters/desec/dns.ts';
import { GitHubGitHost } from '../../src/lib/adapters/github/index.ts';
import { dohProbe } from '../../src/lib/adapters/deploy/probe.ts';
import { commitSigner, generateSshKey } from '../../src/lib/adapters/ssh-signature/index.ts';
import { initialState, type DeploymentState } from '../../src/lib/core/deploy/machine.ts';
import { buildPlan } from '../../src/lib/core/deploy/plan.ts';
import type { DeployArtifacts, DeploymentStore } from '../../src/lib/ports/deploy.ts';
import { realClock } from '../../src/lib/adapters/deploy/clock.ts';
import { DeployRunner } from '../../src/lib/services/deploy/runner.ts';
import { SANDBOX_ZONE } from '../../workers/sandbox/index.ts';
import { report } from './lib.ts';

const LATENCY_MS = 150;
const BOOT_MS = 2_000;
/** How often the client looks at a booting server (the app's sandbox uses 1 s; short here, so the boot wait stays exact). */
const POLL_MS = 50;
const RUNS = 3;

// The sandbox runs in a process of its own, as with `npm start`: its work is not the client's.
const child = spawn(process.execPath, ['tests/bench/sandbox-server.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve, reject) => {
	const timer = setTimeout(() => reject(new Error('The sandbox did not start.')), 30_000);
	child.stdout.once('data', (chunk: Buffer) => {
		clearTimeout(timer);
		resolve((JSON.parse(chunk.toString('utf8').split('\n')[0]!) as { port: number }).port);
	});
});
const base = `http://127.0.0.1:${port}`;

async function control(action: string, body: object): Promise<void> {
	const r = await fetch(`${base}/sandbox/_control/${action}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body)
	});
	if (!r.ok) throw new Error(`control ${action}: ${r.status}`);
}

const clock = realClock;

function memoryStore(): DeploymentStore {
	const m = new Map<string, string>();
	return {
		load: async (id) => (m.has(id) ? (JSON.parse(m.get(id)!) as DeploymentState) : undefined),
		save: async (s) => void m.set(s.id, JSON.stringify(s)),
		list: async () => [...m.keys()],
		remove: async (id) => void m.delete(id)
	};
}

/** The files a deployment ships; a fresh key each time, since a deploy key is unique at GitHub. */
async function artifactsFor(): Promise<DeployArtifacts> {
	const key = await generateSshKey('nassella-bench');
	return {
		bundle: async () => [
			{ path: 'compose.yaml', content: 'services: {}\n' },
			{ path: 'Caddyfile', content: '' },
			{ path: 'bin/apply.sh', content: '#!/bin/sh\n', executable: true },
			{ path: 'requests.json', content: '{}\n' }
		],
		sign: commitSigner(key),
		deployKey: async () => ({ title: 'nassella server bench', publicKey: key.publicKey }),
		ignition: async ({ repo, commit }) => JSON.stringify({ ignition: { version: '3.3.0' }, repo: repo.sshUrl, commit })
	};
}

let run = 0;
/** One deployment from nothing to "done"; returns its wall-clock time and the provider calls it made. */
async function deployOnce(latencyMs: number): Promise<{ ms: number; calls: number; cpuMs: number }> {
	await control('reset', { timing: { bootMs: BOOT_MS, importMs: 0 } });
	await control(`latency?github=${latencyMs}`, { ms: latencyMs });
	run += 1;
	const id = `bench${String(run).padStart(4, '0')}`;
	let calls = 0;
	const count = () => void (calls += 1);
	const counted: typeof fetch = (input, init) => {
		calls += 1;
		return fetch(input, init);
	};
	const artifacts = await artifactsFor();
	const plan = buildPlan({
		deploymentId: id,
		cloud: { provider: 'sandbox-digitalocean', region: 'fra1', size: 's-1vcpu-2gb' },
		volumeGiB: 20,
		dns: { provider: 'sandbox-desec' },
		git: { host: 'sandbox-github' },
		hosts: ['passwords', 'photos', 'files'].map((n) => ({ app: n, fqdn: `${n}-${id}.${SANDBOX_ZONE}` }))
	});
	const runner = new DeployRunner(
		{
			cloud: new DigitalOceanCloud({
				token: 'sandbox',
				baseUrl: `${base}/sandbox/digitalocean`,
				pollMs: POLL_MS,
				onRequest: count
			}),
			dns: new DesecDns({ token: 'sandbox', baseUrl: `${base}/sandbox/desec`, onRequest: count }),
			git: new GitHubGitHost({
				token: 'sandbox',
				baseUrl: `${base}/sandbox/github`,
				identity: { name: 'nassella', email: 'nassella@example.org' },
				fetch: counted
			}),
			probe: dohProbe([{ name: 'sandbox', url: `${base}/sandbox/doh/cloudflare-dns.com/dns-query` }], (r) => {
				calls += 1;
				return fetch(r);
			}),
			artifacts,
			clock,
			store: memoryStore(),
			random: () => 0.5
		},
		initialState(plan, Date.now()),
		{ probeIntervalMs: POLL_MS, probeTimeoutMs: 60_000, ttl: 3600 }
	);
	const cpu = process.cpuUsage();
	const started = performance.now();
	const end = await runner.run();
	const ms = performance.now() - started;
	const used = process.cpuUsage(cpu);
	const cpuMs = (used.user + used.system) / 1000;
	if (end.phase !== 'done')
		throw new Error(`The deployment ended ${end.phase}: ${end.error?.message ?? ''} (${end.error?.provider ?? ''})`);
	return { ms, calls, cpuMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
	// A first run warms up module loading and the JIT; it is not counted.
	await deployOnce(0);
	const slow: number[] = [];
	const fast: number[] = [];
	const cpu: number[] = [];
	let calls = 0;
	for (let i = 0; i < RUNS; i++) {
		const a = await deployOnce(LATENCY_MS);
		slow.push(a.ms);
		calls = a.calls;
		const b = await deployOnce(0);
		fast.push(b.ms);
		cpu.push(b.cpuMs);
	}
	const roundTrips = Math.round((median(slow) - median(fast)) / LATENCY_MS);
	report({
		name: 'sandbox over HTTP: sequential round trips on the critical path',
		value: roundTrips,
		unit: 'calls',
		// The project's own budget (the issue names none). It is larger than the engine's ≤ 8
		// steps (deploy.bench.ts) because some steps are chains of calls over the wire that
		// cannot run side by side: GitHub's Git Data API needs blobs → tree → commit → ref,
		// and a new repository is looked up, created, then read for its first commit.
		budget: 14
	});
	report({ name: 'sandbox over HTTP: provider calls in all (parallel ones included)', value: calls, unit: 'calls' });
	report({
		name: `sandbox over HTTP: wall time at ${LATENCY_MS} ms latency, ${BOOT_MS} ms boot (median of ${RUNS})`,
		value: Math.round(median(slow)),
		unit: 'ms'
	});
	report({
		name: `sandbox over HTTP: client overhead on top of provider waits (CPU time of the client, median of ${RUNS})`,
		value: Math.round(median(cpu)),
		unit: 'ms',
		budget: 250
	});
	report({
		name: `sandbox over HTTP: time at 0 ms latency beyond the ${BOOT_MS} ms boot (client + sandbox + polling)`,
		value: Math.round(median(fast) - BOOT_MS),
		unit: 'ms'
	});
} finally {
	child.kill('SIGTERM');
}
