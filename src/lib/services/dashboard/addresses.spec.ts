import { describe, expect, it } from 'vitest';
import { initialState, type DeploymentState } from '../../core/deploy/machine.ts';
import { memoryDeploymentStore } from '../../../../tests/doubles/deploy/memory.ts';
import { testPlan } from '../../../../tests/doubles/deploy/plan.ts';
import { World } from '../../../../tests/doubles/deploy/world.ts';
import { ensureAdminRecord, pointAtServer } from './addresses.ts';

const ID = 'addr12345';

function running(): DeploymentState {
	const plan = testPlan(ID, [{ app: 'memos', fqdn: 'memos.example.org' }]);
	const s = initialState(plan, 0);
	return {
		...s,
		steps: { ...s.steps, 'wait-server': { status: 'done', attempts: 1, output: { ipv4: '203.0.113.9', ipv6: null } } }
	};
}

function setup() {
	const world = new World();
	const store = memoryDeploymentStore();
	let made = 0;
	const ports = {
		dns: async () => {
			made++;
			return world.ports().dns;
		},
		store,
		clock: { now: () => 1_000 }
	};
	return { world, store, ports, made: () => made };
}

describe('dashboard addresses', () => {
	it('points a new name at the server and records it, so destroy removes it too', async () => {
		const { world, store, ports } = setup();
		const state = running();
		await store.save(state);
		await pointAtServer(ports, state, ['notes.example.org']);
		expect(world.dns.get('notes.example.org|A')).toMatchObject({ values: ['203.0.113.9'], ttl: 300 });
		expect(world.dns.has('notes.example.org|AAAA')).toBe(false);
		expect((await store.load(ID))?.resources).toContainEqual(
			expect.objectContaining({ kind: 'dns-record', id: 'notes.example.org|A', name: 'notes.example.org' })
		);
	});

	it('makes the admin record once per server address; not at all when the plan names it', async () => {
		const { world, store, ports, made } = setup();
		const state = running();
		await store.save(state);
		const kept = new Map<string, { key: string }>();
		const memory = {
			load: async (id: string) => kept.get(id),
			save: async (id: string, v: { key: string }) => void kept.set(id, v)
		};
		await ensureAdminRecord({ ...ports, memory }, state, 'nassella.example.org');
		await ensureAdminRecord({ ...ports, memory }, state, 'nassella.example.org');
		expect(made()).toBe(1);
		expect(world.dns.get('nassella.example.org|A')?.values).toEqual(['203.0.113.9']);
		await ensureAdminRecord({ ...ports, memory }, state, 'memos.example.org');
		expect(made()).toBe(1);
	});
});
