/**
 * Added latency of the Node relay on loopback: the same requests, 200 at a time, sent
 * straight to an upstream server and through the relay (in its own process) to it.
 * Figures: p50 and p99 per request for both, the difference (what the relay adds), and
 * the relay's CPU time per request.
 *
 * Budgets are the project's own (the issue names none). With 200 requests in flight, a
 * request waits behind the others' relay work, so the added latency is roughly
 * 200 × CPU per request on one core; the wall-clock figures also move with whatever else
 * the machine runs, the CPU figure much less.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentiles, report } from './lib.ts';

const CONCURRENCY = 200;
const REQUESTS = 4000;
/** Warm-up rounds: until the relay's pool to the upstream stops growing, at most this many. */
const MAX_WARMUP_ROUNDS = 6;
const ORIGIN = 'https://app.nassella.example';
const BODY = JSON.stringify({ servers: Array.from({ length: 5 }, (_, id) => ({ id, name: `server-${id}` })) });

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return (server.address() as AddressInfo).port;
}

let upstreamConnections = 0;
const upstream = createServer((req, res) => {
	req.resume();
	res.writeHead(200, { 'content-type': 'application/json', 'ratelimit-remaining': '3599' }).end(BODY);
});
upstream.on('connection', () => upstreamConnections++);
upstream.keepAliveTimeout = 60_000;
const upstreamPort = await listen(upstream);
// The relay runs in its own process (as `npm run proxy` does), so that its work does not
// share one event loop with the load generator and the upstream.
const child = spawn(
	process.execPath,
	[
		...(process.env.RELAY_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/relayprof'] : []),
		fileURLToPath(new URL('./proxy-relay.ts', import.meta.url)),
		String(upstreamPort)
	],
	{
		stdio: ['pipe', 'pipe', 'inherit']
	}
);
const relayPort = await new Promise<number>((resolve, reject) => {
	child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
	child.once('exit', (code) => reject(new Error(`the relay exited (${code})`)));
});

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function once(port: number, path: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const req = request(
			{ host: '127.0.0.1', port, path, agent, headers: { origin: ORIGIN, authorization: 'Bearer bench' } },
			(res) => {
				if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
				res.resume();
				res.on('end', () => resolve(performance.now() - started));
			}
		);
		req.on('error', reject);
		req.end();
	});
}

async function run(port: number, path: string, count: number): Promise<number[]> {
	const samples: number[] = [];
	let next = 0;
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			while (next < count) {
				next++;
				samples.push(await once(port, path));
			}
		})
	);
	return samples;
}

const direct = '/v1/servers?page=1';
const proxied = '/api.hetzner.cloud/v1/servers?page=1';
// Cold: the first 200 requests open every connection (client → relay → upstream) at once.
const cold = percentiles(await run(relayPort, proxied, CONCURRENCY));
// Warm up both paths until the connection pools are complete: the figures below are for
// a relay that is already running, as it is when the app uses it.
await run(upstreamPort, direct, 2 * CONCURRENCY);
for (let round = 0, before = -1; round < MAX_WARMUP_ROUNDS && before !== upstreamConnections; round++) {
	before = upstreamConnections;
	await run(relayPort, proxied, 1000);
}
async function relayCpuMicros(): Promise<number> {
	const answer = new Promise<number>((resolve) =>
		child.stdout.once('data', (c: Buffer) => resolve(Number(c.toString())))
	);
	child.stdin.write('cpu\n');
	return answer;
}

// Alternate halves so that both see the same machine load.
const cpuBefore = await relayCpuMicros();
const d1 = await run(upstreamPort, direct, REQUESTS / 2);
const p1 = await run(relayPort, proxied, REQUESTS / 2);
const d2 = await run(upstreamPort, direct, REQUESTS / 2);
const p2 = await run(relayPort, proxied, REQUESTS / 2);
const cpuAfter = await relayCpuMicros();
const d = percentiles([...d1, ...d2]);
const p = percentiles([...p1, ...p2]);

report({ name: `direct to a loopback upstream, p50 (${CONCURRENCY} concurrent)`, value: round(d.p50), unit: 'ms' });
report({ name: `direct to a loopback upstream, p99 (${CONCURRENCY} concurrent)`, value: round(d.p99), unit: 'ms' });
report({ name: `through the Node relay, p50 (${CONCURRENCY} concurrent)`, value: round(p.p50), unit: 'ms' });
report({ name: `through the Node relay, p99 (${CONCURRENCY} concurrent)`, value: round(p.p99), unit: 'ms' });
report({
	name: `through the Node relay from cold (new connections), p99 of the first ${CONCURRENCY}`,
	value: round(cold.p99),
	unit: 'ms'
});
// CPU time is much less sensitive to what else runs on the machine than wall-clock latency.
report({
	name: 'relay CPU time per request',
	value: round((cpuAfter - cpuBefore) / 1000 / REQUESTS),
	unit: 'ms',
	budget: 1
});
report({ name: 'added by the relay, p50', value: round(p.p50 - d.p50), unit: 'ms', budget: 100 });
report({ name: 'added by the relay, p99', value: round(p.p99 - d.p99), unit: 'ms', budget: 300 });

agent.destroy();
child.stdin.end();
await new Promise((r) => child.once('exit', r));
await new Promise((r) => upstream.close(r));

function round(ms: number): number {
	return Math.round(ms * 100) / 100;
}
