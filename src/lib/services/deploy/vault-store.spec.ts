import { describe, expect, it } from 'vitest';
import { initialState } from '../../core/deploy/machine.ts';
import { buildPlan } from '../../core/deploy/plan.ts';
import { recordName } from '../../ports/vault.ts';
import { memoryRecords } from '../../../../tests/doubles/dashboard.ts';
import { vaultDeploymentStore } from './vault-store.ts';

describe('deployment state in the vault', () => {
	it('keeps one record per deployment, of kind deployment', async () => {
		const vault = memoryRecords();
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
		expect([...vault.data.keys()]).toEqual([recordName('deployment', 'store1234')]);
		expect(await store.load('store1234')).toEqual(state);
		vault.data.set(recordName('deployment', 'not-an-id!'), '{}');
		expect(await store.list()).toEqual(['store1234']);
		vault.data.set(recordName('deployment', 'other123'), JSON.stringify({ something: 'else' }));
		await expect(store.load('other123')).rejects.toThrow(/not readable/);
		await store.remove('store1234');
		expect(await store.load('store1234')).toBeUndefined();
	});
});
