/**
 * Memory: every app's figures say where they come from, every service has a memory limit that
 * reaches docker-compose.yml, and the fit check counts the server's own share and the lighter
 * variants (Immich without machine learning) honestly.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../catalog/load.ts';
import { BASE_OVERHEAD, TYPICAL_SIZES, fitApps } from '../../src/lib/core/catalog/fit.ts';
import { composeDocument } from '../../src/lib/core/server/compose.ts';
import { selectApps } from '../../src/lib/core/server/from-catalog.ts';
import { validateDeployment } from '../../src/lib/core/model/config.ts';
import { composeValidator } from './helpers.ts';
import { fixture } from '../server/helpers.ts';

const catalog = loadCatalog();
const validateCompose = composeValidator();
const size = (id: string) => TYPICAL_SIZES.find((s) => s.id === id)!;
const app = (id: string) => catalog.apps.find((a) => a.id === id)!;

describe.each(catalog.apps.map((a) => [a.id, a] as const))('%s resources', (_id, a) => {
	it('say where the memory figures come from (an https page and what it says)', () => {
		expect(a.resources.sources.length).toBeGreaterThan(0);
		for (const s of a.resources.sources) {
			expect(s.url).toMatch(/^https:\/\/[a-z0-9.-]+\//);
			expect(s.says.length).toBeGreaterThanOrEqual(20);
		}
	});
	it('cap every service, together at least at the recommended memory', () => {
		const names = Object.keys(a.services).sort();
		expect(Object.keys(a.resources.memoryLimitsMiB).sort()).toEqual(names);
		const total = Object.values(a.resources.memoryLimitsMiB).reduce((x, y) => x + y, 0);
		expect(total).toBeGreaterThanOrEqual(a.resources.ramRecommendedMiB);
	});
});

describe('memory limits in docker-compose.yml', () => {
	const deployment = validateDeployment(fixture('all-apps'));
	const doc = composeDocument(selectApps(catalog.apps, deployment)) as {
		services: Record<string, { deploy?: { resources?: { limits?: { memory?: string } } } }>;
	};
	it('gives every app service its limit in a form Compose applies without swarm', () => {
		for (const a of catalog.apps)
			for (const [name, mib] of Object.entries(a.resources.memoryLimitsMiB))
				expect(doc.services[name]?.deploy?.resources?.limits?.memory, name).toBe(`${mib}M`);
	});
	it('validates against the Compose Specification schema', () => {
		expect(validateCompose(doc), JSON.stringify(validateCompose.errors)).toBe(true);
	});
	it('leaves out the services of a lighter variant (Immich without machine learning)', () => {
		const input = fixture('five-apps');
		const apps = (input.config as { apps: { id: string; inputs?: Record<string, string> }[] }).apps;
		apps.find((x) => x.id === 'immich')!.inputs = { machine_learning: 'false' };
		const lighter = composeDocument(selectApps(catalog.apps, validateDeployment(input))) as {
			services: Record<string, { environment?: Record<string, string> }>;
		};
		expect(lighter.services['immich-ml']).toBeUndefined();
		expect(lighter.services.immich?.environment?.IMMICH_MACHINE_LEARNING_ENABLED).toBe('false');
	});
});

describe('the fit check', () => {
	it('counts the server’s own share: at least 512 MiB before any app, 1 GiB recommended', () => {
		expect(BASE_OVERHEAD.ramMinMiB).toBeGreaterThanOrEqual(512);
		expect(BASE_OVERHEAD.ramRecommendedMiB).toBeGreaterThanOrEqual(1024);
	});
	it('refuses Immich on a 4 GB server, and says it fits without machine learning', () => {
		const immich = app('immich');
		const f = fitApps([immich], size('4gb'));
		expect(f.verdict).toBe('wont-fit');
		expect(f.message).toContain('It would fit with Immich without “Smart search and face recognition”');
		const lighter = fitApps([immich], size('4gb'), [{ machine_learning: 'false' }]);
		expect(lighter.ramFits).toBe(true);
		expect(lighter.verdict).toBe('tight');
		expect(fitApps([immich], size('8gb')).verdict).toBe('fits');
	});
	it('follows upstream minimums: Immich needs 6 GB for the whole machine, Ghost at least 1 GB', () => {
		expect(app('immich').resources.ramMinMiB + BASE_OVERHEAD.ramMinMiB).toBe(6144);
		expect(app('ghost').resources.ramMinMiB + BASE_OVERHEAD.ramMinMiB).toBeGreaterThanOrEqual(1024);
	});
});
