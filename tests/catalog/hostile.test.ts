/** Hostile or careless catalog values are refused with a clear message naming the problem. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateManifest, checkIcon, CATALOG_DIR } from '../../catalog/load.ts';
import { checkManifest } from '../../src/lib/core/catalog/check.ts';
import { resolveServices, resolveString, CatalogError } from '../../src/lib/core/catalog/placeholders.ts';
import type { AppManifest } from '../../src/lib/core/catalog/types.ts';
import { contextFor } from './helpers.ts';

const base = (): AppManifest => parse(readFileSync(join(CATALOG_DIR, 'miniflux', 'manifest.yaml'), 'utf8'));
const svc = (m: AppManifest) => m.services['miniflux'] as unknown as Record<string, unknown>;

function refusedBoth(m: AppManifest, pattern: RegExp) {
	const schema = validateManifest(m, m.id);
	expect(schema.length, 'refused by the schema or the rules').toBeGreaterThan(0);
	const rules = checkManifest(m);
	expect(rules.join('\n')).toMatch(pattern);
}

describe('hostile manifests', () => {
	it('the unmodified manifest passes', () => {
		expect(validateManifest(base(), 'miniflux')).toEqual([]);
	});
	it('refuses a host path volume', () => {
		const m = base();
		svc(m).volumes = ['/etc:/host-etc'];
		refusedBoth(m, /volume "\/etc:\/host-etc" must be "\{\{data\}\}\/<folder>/);
	});
	it('refuses a volume that climbs out of the data directory', () => {
		const m = base();
		svc(m).volumes = ['{{data}}/../other:/x'];
		refusedBoth(m, /volume/);
	});
	it('refuses data folders that are not the app’s own, or whose owner is not plain numbers', () => {
		const source = 'https://example.org/docs';
		const m = base();
		m.folders = [{ path: 'elsewhere', owner: '1000:1000', source }];
		expect(validateManifest(m, m.id).join('\n')).toMatch(/folders: "elsewhere" is not a folder any service mounts/);
		for (const folder of [
			{ path: '../etc', owner: '1000:1000', source },
			{ path: 'data', owner: 'root:root', source },
			{ path: 'data', owner: '1000:1000; rm -rf /', source },
			{ path: 'data', owner: '1000:1000', mode: '4777', source },
			{ path: 'data', owner: '1000:1000' }
		]) {
			const bad = base();
			bad.folders = [folder as never];
			expect(validateManifest(bad, bad.id).length, JSON.stringify(folder)).toBeGreaterThan(0);
		}
		const ok = base();
		ok.folders = [{ path: 'data', owner: '1000:1000', mode: '0700', source }];
		svc(ok).volumes = ['{{data}}/data/sub:/x'];
		expect(validateManifest(ok, ok.id)).toEqual([]);
	});
	it('refuses a named volume and the Docker socket', () => {
		for (const v of ['dbdata:/var/lib/postgresql/data', '/var/run/docker.sock:/var/run/docker.sock']) {
			const m = base();
			svc(m).volumes = [v];
			refusedBoth(m, /must be "\{\{data\}\}/);
		}
	});
	it('refuses privileged, host network, published ports, capabilities and devices', () => {
		for (const [key, value] of [
			['privileged', true],
			['network_mode', 'host'],
			['ports', ['80:80']],
			['cap_add', ['SYS_ADMIN']],
			['devices', ['/dev/sda']],
			['pid', 'host']
		] as const) {
			const m = base();
			svc(m)[key] = value;
			refusedBoth(m, new RegExp(`"${key}" is not allowed in the catalog`));
		}
	});
	it('refuses latest and untagged images', () => {
		for (const image of ['miniflux/miniflux:latest', 'miniflux/miniflux', 'miniflux/miniflux:stable']) {
			const m = base();
			svc(m).image = image;
			expect(checkManifest(m).join('\n')).toMatch(/must be pinned to an exact version tag/);
		}
	});
	it('refuses an unknown placeholder and a reference to an undeclared secret', () => {
		const m = base();
		(svc(m).environment as Record<string, string>).X = '{{env.HOME}}';
		refusedBoth(m, /unknown placeholder "\{\{env.HOME\}\}"/);
		const m2 = base();
		(svc(m2).environment as Record<string, string>).X = '{{secret.nope}}';
		expect(checkManifest(m2).join('\n')).toMatch(
			/\{\{secret.nope\}\} refers to a secret the manifest does not declare/
		);
	});
	it('refuses {{data}} outside volumes, where it would be a meaningless host path', () => {
		const m = base();
		(svc(m).environment as Record<string, string>).X = '{{data}}/x';
		expect(checkManifest(m).join('\n')).toMatch(
			/\{\{data\}\} is a path on the server, so it belongs in "volumes" only, not in "environment"/
		);
	});
	it('refuses a "$" in a compose value', () => {
		const m = base();
		(svc(m).environment as Record<string, string>).X = '${HOME}';
		refusedBoth(m, /contains "\$", which Compose would read as a variable/);
	});
	it('refuses service names that could clash with another app', () => {
		const m = base();
		m.services['postgres'] = m.services['miniflux-db']!;
		expect(checkManifest(m).join('\n')).toMatch(
			/service "postgres": its name must be "miniflux" or start with "miniflux-"/
		);
	});
	it('refuses icons with scripts or outside references', () => {
		expect(checkIcon('<svg><script>alert(1)</script></svg>', 'x')).not.toEqual([]);
		expect(checkIcon('<svg><image href="https://example.org/a.png"/></svg>', 'x')).not.toEqual([]);
		expect(checkIcon('<svg onload="x()"></svg>', 'x')).not.toEqual([]);
		expect(checkIcon('<svg viewBox="0 0 1 1"><rect fill="url(#g)"/></svg>', 'x')).toEqual([]);
	});
});

describe('the resolver', () => {
	const m = base();
	const ctx = contextFor(m);
	it('refuses unknown references at render time too', () => {
		expect(() => resolveString('{{secret.nope}}', m, ctx)).toThrow(CatalogError);
		expect(() => resolveString('{{nope}}', m, ctx)).toThrow(/unknown placeholder/);
		expect(() => resolveString('{{secret.db_password', m, ctx)).toThrow(/unbalanced/);
		expect(() => resolveString('a $b', m, ctx)).toThrow(/contains "\$"/);
	});
	it('refuses a hostile host name or time zone from the context', () => {
		expect(() => resolveString('{{host.main}}', m, { ...ctx, hosts: { main: 'a b\nc' } })).toThrow(
			/not a valid DNS name/
		);
		expect(() => resolveString('{{url.main}}', m, { ...ctx, hosts: { main: 'x.org/../evil' } })).toThrow(
			/not a valid DNS name/
		);
		expect(() => resolveString('{{timezone}}', m, { ...ctx, timezone: 'UTC; rm -rf /' })).toThrow(/time zone/);
	});
	it('escapes "$" in substituted values so Compose keeps them literal', () => {
		const c = { ...ctx, inputs: { admin_username: 'a$b' } };
		expect(resolveString('{{input.admin_username}}', m, c)).toBe('a$$b');
	});
	it('refuses line breaks in substituted values', () => {
		const c = { ...ctx, inputs: { admin_username: 'a\nb' } };
		expect(() => resolveString('{{input.admin_username}}', m, c)).toThrow(/line break/);
	});
	it('can write secrets as references instead of values', () => {
		const out = resolveServices(m, ctx, { renderSecret: (id) => `\${MINIFLUX_${id.toUpperCase()}}` });
		expect(out['miniflux-db']!.environment!.POSTGRES_PASSWORD).toBe('${MINIFLUX_DB_PASSWORD}');
		expect(JSON.stringify(out)).not.toContain(ctx.secrets.db_password);
	});
	it('never puts a secret value into an error message', () => {
		const c = { ...ctx, hosts: {} };
		try {
			resolveServices(m, c);
			expect.unreachable();
		} catch (e) {
			expect((e as Error).message).not.toContain(ctx.secrets.db_password);
			expect((e as Error).message).toMatch(/no host name for entrypoint "main"/);
		}
	});
});
