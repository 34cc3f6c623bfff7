import { describe, expect, it } from 'vitest';
import { initialState, type DeploymentState } from '../../core/deploy/machine.ts';
import type { SetupRecord } from '../../core/deploy/stored.ts';
import { testPlan } from '../../../../tests/doubles/deploy/plan.ts';
import { vaultDeploymentStore } from '../deploy/vault-store.ts';
import { dashboardDeployments, firstSettings } from './deployments.ts';
import { memoryRecords } from '../../../../tests/doubles/dashboard.ts';

function setupFor(id: string): SetupRecord {
	return {
		deploymentId: id,
		apps: ['memos'],
		domain: `${id}.example.org`,
		dns: { provider: 'sandbox-desec', token: 't' },
		cloud: { provider: 'sandbox-hetzner', token: 't', region: 'r', size: 's' },
		git: { host: 'github', token: 't' },
		backups: {
			endpoint: 'https://s3.example',
			bucket: 'b',
			accessKeyId: 'k',
			secretAccessKey: 's',
			resticPassword: 'p'
		}
	};
}

function committed(id: string, createdAt: number, phase: DeploymentState['phase'] = 'done'): DeploymentState {
	const plan = testPlan(id, [{ app: 'memos', fqdn: `memos.${id}.example.org` }], {
		cloud: { provider: 'sandbox-hetzner', region: 'r', size: 's' },
		dns: { provider: 'sandbox-desec' },
		git: { host: 'github' }
	});
	const s = initialState(plan, createdAt);
	return {
		...s,
		phase,
		steps: {
			...s.steps,
			repo: { status: 'done', attempts: 1, output: { fullName: `me/${id}`, sshUrl: 'git@x:y', defaultBranch: 'main' } },
			commit: { status: 'done', attempts: 1, output: { sha: `sha-${id}` } }
		}
	};
}

describe('dashboard deployments', () => {
	it('lists committed deployments with a setup, oldest first; the wizard’s setup is copied beside them', async () => {
		const records = memoryRecords();
		const store = vaultDeploymentStore(records);
		await store.save(committed('bbbb2222', 20));
		await store.save(committed('aaaa1111', 10));
		await store.save(committed('gone3333', 5, 'destroyed'));
		await store.save({ ...committed('half4444', 1), steps: initialState(committed('half4444', 1).plan, 1).steps });
		await records.put('dashboardSetup', 'bbbb2222', setupFor('bbbb2222'));
		await records.put('setup', 'current', setupFor('aaaa1111'));
		const list = await dashboardDeployments(records);
		expect(list.map((d) => [d.id, d.firstCommit, d.sandbox])).toEqual([
			['aaaa1111', 'sha-aaaa1111', true],
			['bbbb2222', 'sha-bbbb2222', true]
		]);
		expect(await records.get('dashboardSetup', 'aaaa1111')).toEqual(setupFor('aaaa1111'));
	});

	it('starts the settings from the setup, with the setup’s commit as the first one', async () => {
		const records = memoryRecords();
		await vaultDeploymentStore(records).save(committed('aaaa1111', 10));
		await records.put('setup', 'current', { ...setupFor('aaaa1111'), ntfyTopic: 'https://ntfy.sh/x' });
		const [d] = await dashboardDeployments(records);
		const s = firstSettings(d!, (app) => (app === 'memos' ? '0.22' : 'unknown'));
		expect(s.current).toEqual({ apps: ['memos'], inputs: {}, ntfyTopic: 'https://ntfy.sh/x' });
		expect(s.commits).toEqual([
			{ sha: 'sha-aaaa1111', at: 10, message: 'Set up the server', settings: s.current, versions: { memos: '0.22' } }
		]);
	});
});
