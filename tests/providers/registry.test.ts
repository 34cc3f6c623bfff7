/**
 * One descriptor per provider: the choices, the build's connect-src, the relay's allowlist and
 * the data disk's path all come from src/lib/adapters/registry.ts, and no code outside a
 * provider's folder and the registry names it, so adding one needs nothing else.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../src/lib/adapters/registry.ts';
import { DOH_ORIGINS } from '../../src/lib/core/net/doh-origins.ts';
import type { ProviderDescriptor } from '../../src/lib/core/providers/descriptor.ts';
import {
	connectOrigins,
	dataDevicePath as offeredDataDevice,
	findOffer,
	offersOf,
	relayRules
} from '../../src/lib/core/providers/offers.ts';
import { cloudChoices, dataDevicePath, dnsChoices } from '../../src/lib/main/providers.ts';
import { gitHostChoices } from '../../src/lib/main/git-hosts.ts';
import { decide, PRODUCTION_RULES } from '../../workers/proxy/policy.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('choices', () => {
	it('keeps the ids people’s saved setups hold', () => {
		expect(cloudChoices.map((c) => c.id)).toEqual([
			'digitalocean',
			'hetzner',
			'sandbox-digitalocean',
			'sandbox-hetzner'
		]);
		expect(dnsChoices.map((c) => c.id)).toEqual([
			'desec',
			'cloudflare',
			'digitalocean-dns',
			'hetzner-dns',
			'powerdns',
			'sandbox-desec',
			'sandbox-cloudflare',
			'sandbox-digitalocean-dns',
			'sandbox-hetzner-dns'
		]);
		expect(gitHostChoices.map((c) => c.id)).toEqual(['github', 'codeberg', 'gitlab', 'sandbox-github']);
	});

	it('gives every real choice its token help with the provider’s page, and the relay where its descriptor says', () => {
		for (const c of [...cloudChoices, ...dnsChoices, ...gitHostChoices]) {
			const found = findOffer(PROVIDERS, c.id)!;
			expect(found, c.id).toBeDefined();
			if (c.sandbox) {
				expect(c.token).toBeUndefined();
				expect(c.needsProxy).toBe(false);
				continue;
			}
			expect(c.token?.url).toMatch(/^https:\/\//);
			expect(c.token?.steps.length).toBeGreaterThanOrEqual(2);
			expect(c.note).toContain(found.offer.token.summary);
			expect(c.needsProxy).toBe(found.offer.needsRelay);
		}
	});
});

describe('the build’s connect-src', () => {
	it('is the app itself, every descriptor’s API origins, the public resolvers and the relay given at build time', async () => {
		const { default: config } = await import('../../svelte.config.js');
		const connect = config.kit?.csp?.directives?.['connect-src'];
		expect(connect).toEqual(['self', ...connectOrigins(PROVIDERS), ...DOH_ORIGINS]);
		for (const d of PROVIDERS) for (const o of d.apiOrigins) expect(connect).toContain(o);
	});

	it('refuses an API origin that is not a bare https origin', () => {
		const bad = { ...PROVIDERS[0]!, apiOrigins: ['http://api.example.org'] };
		expect(() => connectOrigins([bad])).toThrow(/bare https origin/);
		expect(() => connectOrigins([{ ...bad, apiOrigins: ['https://api.example.org/v1'] }])).toThrow();
	});
});

describe('the relay’s allowlist', () => {
	it('is exactly the hosts the descriptors declare, and covers every choice that needs the relay', () => {
		expect(PRODUCTION_RULES).toEqual(relayRules(PROVIDERS));
		const hosts = PRODUCTION_RULES.map((r) => r.host);
		for (const d of PROVIDERS)
			for (const offer of [d.cloud, d.dns, d.git])
				if (offer?.needsRelay) {
					const apiHosts = d.apiOrigins.map((o) => new URL(o).host);
					expect(
						apiHosts.some((h) => hosts.includes(h)),
						`${d.name} needs the relay but declares none of its API hosts`
					).toBe(true);
				}
	});

	it('refuses two providers claiming one host', () => {
		const twin: ProviderDescriptor = { ...PROVIDERS.find((d) => d.relay.length > 0)!, id: 'twin' };
		expect(() => relayRules([...PROVIDERS, twin])).toThrow(/Two providers claim/);
	});
});

describe('the data disk', () => {
	it('is named as each cloud’s descriptor says, for its real and practice choices', () => {
		const volume = { id: '4242', name: 'nassella-n1-data' };
		expect(dataDevicePath('digitalocean', volume)).toBe('/dev/disk/by-id/scsi-0DO_Volume_nassella-n1-data');
		expect(dataDevicePath('sandbox-digitalocean', volume)).toBe('/dev/disk/by-id/scsi-0DO_Volume_nassella-n1-data');
		expect(dataDevicePath('hetzner', volume)).toBe('/dev/disk/by-id/scsi-0HC_Volume_4242');
		expect(dataDevicePath('sandbox-hetzner', volume)).toBe('/dev/disk/by-id/scsi-0HC_Volume_4242');
	});

	it('is refused for a cloud no descriptor offers, never given another cloud’s naming', () => {
		const volume = { id: '1', name: 'v' };
		expect(() => dataDevicePath('vultr', volume)).toThrow(/No cloud provider is known as “vultr”/);
		expect(() => dataDevicePath('desec', volume)).toThrow(/No cloud provider/);
	});
});

describe('a new provider', () => {
	const example: ProviderDescriptor = {
		id: 'examplecloud',
		folder: 'examplecloud',
		name: 'Example Cloud',
		apiOrigins: ['https://api.examplecloud.test'],
		relay: [
			{
				host: 'api.examplecloud.test',
				provider: 'Example Cloud',
				routes: [{ methods: ['GET'], path: /^\/v1\/servers$/ }]
			}
		],
		cloud: {
			name: 'Example Cloud',
			label: 'Example Cloud',
			token: { summary: 'Needs a token.', url: 'https://examplecloud.test/tokens', steps: ['Make one.', 'Copy it.'] },
			needsRelay: true,
			sandbox: { base: '/sandbox/examplecloud' },
			dataDevice: (v) => `/dev/disk/by-id/virtio-${v.id}`,
			flatcar: { route: 'image-from-url', summary: 'Imported from its address.' }
		}
	};
	const registry = [...PROVIDERS, example];

	it('is offered, allowed by the build and served by the relay from its descriptor alone', () => {
		expect(offersOf(registry, 'cloud').map((o) => o.id)).toEqual(
			expect.arrayContaining(['examplecloud', 'sandbox-examplecloud'])
		);
		expect(connectOrigins(registry)).toContain('https://api.examplecloud.test');
		const rules = relayRules(registry);
		expect(decide(rules, 'GET', '/api.examplecloud.test/v1/servers').allow).toBe(true);
		expect(decide(rules, 'DELETE', '/api.examplecloud.test/v1/servers').allow).toBe(false);
		expect(offeredDataDevice(registry, 'sandbox-examplecloud', { id: '7', name: 'x' })).toBe(
			'/dev/disk/by-id/virtio-7'
		);
	});
});

/** Source files of the app, the relay and the local entry (tests, fakes and fixtures aside). */
function sources(): string[] {
	const out: string[] = [];
	const walk = (dir: string) => {
		for (const name of readdirSync(dir)) {
			const path = join(dir, name);
			if (statSync(path).isDirectory()) walk(path);
			else if (/\.(ts|js|svelte)$/.test(name) && !/\.(spec|test)\.ts$/.test(name)) out.push(path);
		}
	};
	for (const dir of ['src', 'workers/proxy', 'workers/local']) walk(join(ROOT, dir));
	return [...out, join(ROOT, 'svelte.config.js'), join(ROOT, 'vite.config.ts')];
}

describe('code outside a provider’s folder', () => {
	it('never names a provider’s id or hosts: only its folder and the registry do', () => {
		const files = sources().map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));
		const found: string[] = [];
		for (const d of PROVIDERS) {
			const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
			// An API host in code, or the id as a whole string ('hetzner', "hetzner-dns", `sandbox-hetzner`).
			// (github.com itself also serves release downloads, which are not the git host: API hosts only.)
			const markers = [
				...d.apiOrigins.map((o) => escape(new URL(o).host)),
				`['"\`](?:sandbox-)?${escape(d.id)}(?:-(?:dns|git))?['"\`]`
			];
			const marker = new RegExp(markers.join('|'));
			for (const f of files) {
				if (f.path.startsWith(`src/lib/adapters/${d.folder}/`) || f.path === 'src/lib/adapters/registry.ts') continue;
				f.text.split('\n').forEach((line, i) => {
					// Comments may say where things come from.
					if (/^\s*(?:\/\/|\/?\*)/.test(line)) return;
					if (marker.test(line)) found.push(`${f.path}:${i + 1} names ${d.name}: ${line.trim()}`);
				});
			}
		}
		expect(found).toEqual([]);
	});
});
