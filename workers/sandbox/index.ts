/**
 * The sandbox providers `npm start` serves beside the app, on its own origin:
 *   /sandbox/digitalocean/v2/…      DigitalOcean (cloud and DNS)
 *   /sandbox/hetzner/v1/…           Hetzner Cloud (cloud and DNS)
 *   /sandbox/desec/api/v1/…         deSEC
 *   /sandbox/cloudflare/client/v4/… Cloudflare
 *   /sandbox/doh/<resolver host>/…  DNS-over-HTTPS JSON answers from all sandbox DNS fakes
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
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Mount } from '../local/server.ts';
import { createCloudflareFake } from './cloudflare/fake.ts';
import { createDesecFake } from './desec/fake.ts';
import { createDigitalOceanFake } from './digitalocean/fake.ts';
import { dohHandler } from './doh.ts';
import { createHetznerFake } from './hetzner/fake.ts';
import type { Fault } from './kit.ts';

export const SANDBOX_ZONE = 'nassella-sandbox.example';

export interface SandboxTiming {
	bootMs?: number;
	importMs?: number;
	builderMs?: number;
	snapshotMs?: number;
}

export function createSandbox(timing: SandboxTiming = {}) {
	const t = { bootMs: 3000, importMs: 4000, builderMs: 5000, snapshotMs: 2000, ...timing };
	const fakes = {
		digitalocean: createDigitalOceanFake({ acceptAnyToken: true, bootMs: t.bootMs, importMs: t.importMs }),
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
	return { fakes, timing: t, doh: dohHandler(lookup) };
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

function snapshot(sb: Sandbox, withUserData: boolean) {
	const f = sb.fakes;
	return {
		timing: sb.timing,
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
export function sandboxMount(timing?: SandboxTiming): Mount {
	let sb = createSandbox(timing);
	const handler = async (req: IncomingMessage, res: ServerResponse) => {
		const url = new URL(req.url ?? '/', 'http://local');
		const [, , first] = url.pathname.split('/');
		if (first === '_control') {
			if (!isLoopback(req))
				return send(res, 403, { error: 'The sandbox control endpoint answers only on this machine.' });
			const action = url.pathname.slice('/sandbox/_control/'.length);
			if (req.method === 'GET' && action === 'state')
				return send(res, 200, snapshot(sb, url.searchParams.get('userData') === '1'));
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
					sb = createSandbox((body.timing as SandboxTiming) ?? timing);
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
				case 'latency':
					for (const f of Object.values(sb.fakes))
						f.api.latencyMs = Math.max(0, Math.min(10_000, Number(body.ms) || 0));
					return send(res, 200, { ok: true });
			}
			return send(res, 404, { error: 'Unknown control action.' });
		}
		if (first === 'doh') return sb.doh(req, res);
		if (first && first in sb.fakes) return sb.fakes[first as ProviderName].api.serve(req, res, `/sandbox/${first}`);
		send(res, 404, { error: 'No such sandbox provider.' });
	};
	return { prefix: '/sandbox/', handler };
}
