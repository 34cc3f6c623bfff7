import { describe, expect, it } from 'vitest';
import { initialState } from '../../core/deploy/machine.ts';
import { buildPlan } from '../../core/deploy/plan.ts';
import { vaultDeploymentStore, type RecordVault } from './vault-store.ts';

function memoryVault(): RecordVault & { records: Map<string, unknown> } {
	const records = new Map<string, unknown>();
	return {
		records,
		get: async (name) => structuredClone(records.get(name)) as never,
		put: async (name, value) => void records.set(name, structuredClone(value)),
		delete: async (name) => void records.delete(name),
		list: async (prefix = '') => [...records.keys()].filter((k) => k.startsWith(prefix)).sort()
	};
}

describe('deployment state in the vault', () => {
	it('keeps one record per deployment under deployment/<id>', async () => {
		const vault = memoryVault();
		const store = vaultDeploymentStore(vault);
		const state = initialState(
			buildPlan({
				deploymentId: 'store1234',
				cloud: { provider: 'x', region: 'r', size: 's' },
				volumeGiB: 5,
				dns: { provider: 'x' },
				git: { host: 'x' },
				hosts: [{ app: 'a', fqdn: 'a.example.org' }]
			}),
			1
		);
		await store.save(state);
		expect([...vault.records.keys()]).toEqual(['deployment/store1234']);
		expect(await store.load('store1234')).toEqual(state);
		vault.records.set('deployment/not-an-id!', {});
		expect(await store.list()).toEqual(['store1234']);
		vault.records.set('deployment/other123', { something: 'else' });
		await expect(store.load('other123')).rejects.toThrow(/not readable/);
		await store.remove('store1234');
		expect(await store.load('store1234')).toBeUndefined();
	});
});
