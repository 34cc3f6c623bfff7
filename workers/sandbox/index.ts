/**
 * The sandbox providers `npm start` serves beside the app, on its own origin:
 *   /sandbox/digitalocean/v2/…      DigitalOcean (cloud and DNS)
 *   /sandbox/hetzner/v1/…           Hetzner Cloud (cloud and DNS)
 *   /sandbox/desec/api/v1/…         deSEC
 *   /sandbox/cloudflare/client/v4/… Cloudflare
 *   /sandbox/doh/<resolver host>/…  DNS-over-HTTPS JSON answers from all sandbox DNS fakes
 *   /sandbox/server/<admin host>/status.json, …/journal/entries
 *                                   the sandbox stand-ins for Flatcar servers (server/sim.ts):
 *                                   every running sandbox server, found through the sandbox DNS
 * The app uses its real adapters against them. State lives in memory; nothing is created.
 *
 * Control endpoint for tests (loopback callers only; POST bodies must be JSON, so a web page
 * elsewhere cannot send them without a preflight this server never approves):
 *   GET  /sandbox/_control/state                 what each fake holds (add ?userData=1 for configs)
 *   POST /sandbox/_control/reset  {timing?}      empties every fake; timing: {bootMs, importMs, builderMs, snapshotMs}
 *   POST /sandbox/_control/faults {provider, fault}  queues a fault (see kit.ts Fault)
 *   POST /sandbox/_control/zones  {provider, name}   adds a DNS zone/domain as the person would in the provider's console
 *   POST /sandbox/_control/latency {ms}          delay on every sandbox answer
 *   POST /sandbox/_control/taken  {name}         a deSEC domain name another account holds
 *   POST /sandbox/_control/server-faults {host|ip|next: true, fault: 'app-unhealthy' (+ app) |
 *        'backup-fails' | 'restore-fails'}        queues a fault for a sandbox server (next: the next one to boot)
 * The state also lists the simulated servers (`server`), and reset's timing takes
 * {applyMs, syncMs, backupMs} for them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Mount } from '../local/server.ts';
import { createCloudflareFake } from './cloudflare/fake.ts';
import { createDesecFake } from './desec/fake.ts';
import { createDigitalOceanFake } from './digitalocean/fake.ts';
import { dohHandler } from './doh.ts';
import { createHetznerFake } from './hetzner/fake.ts';
import type { Fault } from './kit.ts';
import { createServerSim, type CloudMachine, type GitSource, type ServerFault } from './server/sim.ts';

export const SANDBOX_ZONE = 'nassella-sandbox.example';

export interface SandboxTiming {
	bootMs?: number;
	importMs?: number;
	builderMs?: number;
	snapshotMs?: number;
	/** Sandbox servers: from a new commit to its apps running; how often they look; a backup's length. */
	applyMs?: number;
	syncMs?: number;
	backupMs?: number;
}

export interface SandboxLinks {
	/** The sandbox git host the servers pull from (in-process). */
	git?: () => GitSource | undefined;
}

export function createSandbox(timing: SandboxTiming = {}, links: SandboxLinks = {}) {
	const t = {
		bootMs: 3000,
		importMs: 4000,
		builderMs: 5000,
		snapshotMs: 2000,
		applyMs: 1500,
		syncMs: 1000,
		backupMs: 1000,
		...timing
	};
	const fakes = {
		// A practice account roomy enough for a whole test run's deployments at once.
		digitalocean: createDigitalOceanFake({
			acceptAnyToken: true,
			bootMs: t.bootMs,
			importMs: t.importMs,
			dropletLimit: 50
		}),
		hetzner: createHetznerFake({
			acceptAnyToken: true,
			bootMs: t.bootMs,
			builderMs: t.builderMs,
			snapshotMs: t.snapshotMs
		}),
		desec: createDesecFake({ acceptAnyToken: true }),
		cloudflare: createCloudflareFake({ acceptAnyToken: true })
	};
	fakes.digitalocean.addDomain(SANDBOX_ZONE);
	fakes.hetzner.addZone(SANDBOX_ZONE);
	fakes.desec.addDomain(SANDBOX_ZONE);
	fakes.cloudflare.addZone(SANDBOX_ZONE);
	const lookup = (name: string, type: string) =>
		fakes.desec.lookup(name, type) ??
		fakes.cloudflare.lookup(name, type) ??
		fakes.digitalocean.lookup(name, type) ??
		fakes.hetzner.lookup(name, type);
	const machines = (): CloudMachine[] => [
		...fakes.digitalocean.state.droplets.map((d) => ({
			provider: 'digitalocean',
			id: String(d.id),
			name: d.name,
			ip: d.ip,
			userData: d.userData,
			runningSince: d.created + t.bootMs,
			dataBytes:
				fakes.digitalocean.state.volumes
					.filter((v) => d.volumes.includes(v.id))
					.reduce((n, v) => n + v.size * 1024 ** 3, 0) || undefined
		})),
		...fakes.hetzner.state.servers
			// The image builder (cloud-init that powers off) is not a nassella server.
			.filter((s) => s.powersOffAt === undefined)
			.map((s) => ({
				provider: 'hetzner',
				id: String(s.id),
				name: s.name,
				ip: s.ip,
				userData: s.userData,
				runningSince: s.created + t.bootMs,
				dataBytes:
					fakes.hetzner.state.volumes.filter((v) => v.server === s.id).reduce((n, v) => n + v.size * 1024 ** 3, 0) ||
					undefined
			}))
	];
	const server = createServerSim({
		machines,
		lookup,
		git: links.git ?? (() => undefined),
		timing: { applyMs: t.applyMs, syncMs: t.syncMs, backupMs: t.backupMs }
	});
	return { fakes, timing: t, doh: dohHandler(lookup), server };
}

type Sandbox = ReturnType<typeof createSandbox>;
type ProviderName = keyof Sandbox['fakes'];

function isLoopback(req: IncomingMessage): boolean {
	const a = req.socket.remoteAddress ?? '';
	return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const c of req) {
		size += (c as Buffer).length;
		if (size > 64 * 1024) throw new Error('too large');
		chunks.push(c as Buffer);
	}
	const text = Buffer.concat(chunks).toString('utf8');
	return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown) {
	res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

async function snapshot(sb: Sandbox, withUserData: boolean) {
	const f = sb.fakes;
	await sb.server.refresh();
	return {
		timing: sb.timing,
		server: sb.server.state(),
		digitalocean: {
			images: f.digitalocean.state.images.map((i) => ({ id: i.id, name: i.name, region: i.region, tags: i.tags })),
			droplets: f.digitalocean.state.droplets.map((d) => ({
				id: d.id,
				name: d.name,
				region: d.region,
				ip: d.ip,
				tags: d.tags,
				...(withUserData ? { userData: d.userData } : {})
			})),
			volumes: f.digitalocean.state.volumes.map((v) => ({ id: v.id, name: v.name, tags: v.tags })),
			firewalls: f.digitalocean.state.firewalls.map((x) => ({ id: x.id, name: x.name, tags: x.tags })),
			domains: Object.fromEntries([...f.digitalocean.state.domains].map(([k, v]) => [k, v]))
		},
		hetzner: {
			servers: f.hetzner.state.servers.map((s) => ({
				id: s.id,
				name: s.name,
				location: s.location,
				ip: s.ip,
				labels: s.labels,
				image: s.image,
				...(withUserData ? { userData: s.userData } : {})
			})),
			images: f.hetzner.state.images.map((i) => ({ id: i.id, labels: i.labels })),
			volumes: f.hetzner.state.volumes.map((v) => ({ id: v.id, name: v.name, labels: v.labels, server: v.server })),
			firewalls: f.hetzner.state.firewalls.map((x) => ({ id: x.id, name: x.name, labels: x.labels })),
			zones: f.hetzner.state.zones
		},
		desec: { domains: f.desec.state.domains.map((d) => ({ name: d.name, rrsets: [...d.rrsets.values()] })) },
		cloudflare: f.cloudflare.state,
		violations: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.api.violations]))
	};
}

/** The `/sandbox/` mount for the local server. */
export function sandboxMount(timing?: SandboxTiming, links: SandboxLinks = {}): Mount {
	let sb = createSandbox(timing, links);
	const handler = async (req: IncomingMessage, res: ServerResponse) => {
		const url = new URL(req.url ?? '/', 'http://local');
		const [, , first] = url.pathname.split('/');
		if (first === '_control') {
			if (!isLoopback(req))
				return send(res, 403, { error: 'The sandbox control endpoint answers only on this machine.' });
			const action = url.pathname.slice('/sandbox/_control/'.length);
			if (req.method === 'GET' && action === 'state')
				return send(res, 200, await snapshot(sb, url.searchParams.get('userData') === '1'));
			if (req.method !== 'POST') return send(res, 405, { error: 'Use POST.' });
			if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
				return send(res, 415, { error: 'Send JSON.' });
			let body: Record<string, unknown>;
			try {
				body = await readJson(req);
			} catch {
				return send(res, 400, { error: 'Invalid JSON.' });
			}
			const provider = body.provider as ProviderName;
			switch (action) {
				case 'reset':
					sb = createSandbox((body.timing as SandboxTiming) ?? timing, links);
					return send(res, 200, { ok: true, timing: sb.timing });
				case 'faults':
					if (!(provider in sb.fakes)) return send(res, 400, { error: 'Unknown provider.' });
					sb.fakes[provider].api.faults.push(body.fault as Fault);
					return send(res, 200, { ok: true, queued: sb.fakes[provider].api.faults.length });
				case 'zones': {
					const name = String(body.name ?? '');
					if (!/^([a-z0-9-]+\.)+[a-z0-9-]+$/.test(name)) return send(res, 400, { error: 'Invalid zone name.' });
					if (provider === 'digitalocean') sb.fakes.digitalocean.addDomain(name);
					else if (provider === 'hetzner') sb.fakes.hetzner.addZone(name);
					else if (provider === 'desec') sb.fakes.desec.addDomain(name);
					else if (provider === 'cloudflare') sb.fakes.cloudflare.addZone(name);
					else return send(res, 400, { error: 'Unknown provider.' });
					return send(res, 200, { ok: true });
				}
				case 'taken': {
					const name = String(body.name ?? '');
					if (!/^([a-z0-9-]+\.)+[a-z0-9-]+$/.test(name)) return send(res, 400, { error: 'Invalid domain name.' });
					sb.fakes.desec.state.takenElsewhere.add(name);
					return send(res, 200, { ok: true });
				}
				case 'server-faults': {
					const fault = serverFault(body);
					if (typeof fault === 'string') return send(res, 400, { error: fault });
					let target: string | undefined;
					if (body.next === true) target = 'next';
					else if (typeof body.ip === 'string' && /^[0-9a-f.:]{2,45}$/.test(body.ip)) target = body.ip;
					else if (typeof body.host === 'string') target = sb.server.ipOf(body.host.toLowerCase());
					if (!target) return send(res, 400, { error: 'Give ip, a host with an A record, or next: true.' });
					return send(res, 200, { ok: true, target, queued: sb.server.queueFault(target, fault) });
				}
				case 'latency':
					for (const f of Object.values(sb.fakes))
						f.api.latencyMs = Math.max(0, Math.min(10_000, Number(body.ms) || 0));
					return send(res, 200, { ok: true });
			}
			return send(res, 404, { error: 'Unknown control action.' });
		}
		// The stand-in servers move on whenever the sandbox is asked anything (cheap), as real
		// ones would with time, so a deploy polling its cloud finds them already syncing.
		await sb.server.refresh().catch(() => {});
		if (first === 'doh') return sb.doh(req, res);
		if (first === 'server') {
			const rest = url.pathname.slice('/sandbox/server/'.length);
			return sb.server.handle(req, res, rest, url.searchParams);
		}
		if (first && first in sb.fakes) return sb.fakes[first as ProviderName].api.serve(req, res, `/sandbox/${first}`);
		send(res, 404, { error: 'No such sandbox provider.' });
	};
	return { prefix: '/sandbox/', handler };
}

function serverFault(body: Record<string, unknown>): ServerFault | string {
	const f = body.fault;
	if (f === 'backup-fails' || f === 'restore-fails') return { fault: f };
	if (f === 'app-unhealthy') {
		const app = body.app;
		if (typeof app !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(app)) return 'Name the app (app: "<catalog id>").';
		return { fault: f, app };
	}
	return "Unknown fault: use 'app-unhealthy', 'backup-fails' or 'restore-fails'.";
}
