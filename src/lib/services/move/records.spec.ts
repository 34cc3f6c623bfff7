/**
 * How a move begins and ends in the vault: its input from a finished deployment, and the
 * deployment and setup records rewritten to the new server (again and again, on resume).
 */
import { describe, expect, it } from 'vitest';
import { initialState, type DeploymentState } from '../../core/deploy/machine.ts';
import type { SetupRecord } from '../../core/deploy/stored.ts';
import { memoryRecords } from '../../../../tests/doubles/dashboard.ts';
import { testPlan } from '../../../../tests/doubles/deploy/plan.ts';
import { vaultDeploymentStore } from '../deploy/vault-store.ts';
import { adoptMove, loadMoveContext, moveInputFor, movedDeployment, startMove } from './records.ts';

const ID = 'abc12345';
const ADMIN = 'nassella.example.org';
const TARGET = { provider: 'hetzner', token: 'new-token', region: 'fsn1', size: 'cx22' };

function finished(): DeploymentState {
	const plan = testPlan(
		ID,
		[
			{ app: 'memos', fqdn: 'memos.example.org' },
			{ app: 'nassella', fqdn: ADMIN }
		],
		{
			cloud: { provider: 'digitalocean', region: 'fra1', size: 's-1' },
			dns: { provider: 'desec' },
			git: { host: 'github' }
		}
	);
	const s = initialState(plan, 0);
	return {
		...s,
		phase: 'done',
		steps: {
			...s.steps,
			repo: {
				status: 'done',
				attempts: 1,
				output: { fullName: 'me/config', sshUrl: 'git@x:me/config', defaultBranch: 'main' }
			},
			server: { status: 'done', attempts: 1, output: { serverId: 'old-server' } },
			'wait-server': { status: 'done', attempts: 1, output: { ipv4: '198.51.100.7', ipv6: null } }
		},
		resources: [
			{ kind: 'server', id: 'old-server', name: `nassella-${ID}-web`, step: 'server' },
			{ kind: 'volume', id: 'old-volume', name: `nassella-${ID}-data`, step: 'volume' },
			{ kind: 'firewall', id: 'old-fw', name: `nassella-${ID}-fw`, step: 'firewall' },
			{ kind: 'repo', id: 'me/config', name: 'me/config', step: 'repo' },
			{ kind: 'dns-record', id: 'memos.example.org|A', name: 'memos.example.org', step: 'dns' }
		]
	};
}

const setup = {
	deploymentId: ID,
	apps: ['memos'],
	domain: 'example.org',
	dns: { provider: 'desec', token: 'dns-token' },
	cloud: { provider: 'digitalocean', token: 'old-token', region: 'fra1', size: 's-1' },
	git: { host: 'github', token: 'git-token' },
	backups: { endpoint: 'https://s3.example', bucket: 'b', accessKeyId: 'k', secretAccessKey: 's', resticPassword: 'p' }
} satisfies SetupRecord;

const facts = {
	server: { id: 'new-server', name: `nassella-${ID}-web-mv01`, ipv4: '203.0.113.5' },
	created: [
		{ kind: 'server' as const, id: 'new-server', name: `nassella-${ID}-web-mv01`, step: 'server' as const },
		{ kind: 'volume' as const, id: 'new-volume', name: `nassella-${ID}-data-mv01`, step: 'volume' as const }
	]
};

describe('a move in the vault', () => {
	it('starts only from a finished deployment, with its server, disk and firewall; the admin host moves on its own', () => {
		expect(() => moveInputFor({ ...finished(), phase: 'failed' }, ADMIN, TARGET, 'mv01')).toThrow(/finished/);
		const input = moveInputFor(finished(), ADMIN, TARGET, 'mv01');
		expect(input.from).toEqual({
			provider: 'digitalocean',
			region: 'fra1',
			ipv4: '198.51.100.7',
			resources: [
				{ kind: 'server', id: 'old-server', name: `nassella-${ID}-web` },
				{ kind: 'volume', id: 'old-volume', name: `nassella-${ID}-data` },
				{ kind: 'firewall', id: 'old-fw', name: `nassella-${ID}-fw` }
			]
		});
		expect(input.to).toEqual({ provider: 'hetzner', region: 'fsn1', size: 'cx22' });
		expect(input.hosts.map((h) => h.fqdn)).toEqual(['memos.example.org']);
	});

	it('stores the target with its token and the first state; the context reads them back', async () => {
		const records = memoryRecords();
		await records.put('setup', 'current', setup);
		await vaultDeploymentStore(records).save(finished());
		const ctx = await loadMoveContext(records);
		if (ctx === 'nothing') throw new Error('no context');
		const state = await startMove(ctx, TARGET, ADMIN, 'mv01', 5);
		expect(await records.get('moveTarget', ID)).toEqual(TARGET);
		expect(await records.get('move', ID)).toEqual(state);
		expect(await loadMoveContext(records)).toMatchObject({ move: state, deployment: { id: ID } });
	});

	it('moves the server as it runs now: apps, their settings, the ntfy topic and the reboot window changed from the dashboard', async () => {
		const records = memoryRecords();
		await records.put('setup', 'current', setup);
		await vaultDeploymentStore(records).save(finished());
		const window = { start: 'Sat 02:30', length: '2h', timezone: 'Europe/Lisbon' };
		await records.put('dashboardSettings', ID, {
			version: 1,
			deploymentId: ID,
			current: {
				apps: ['memos', 'miniflux'],
				inputs: { miniflux: { ADMIN_USERNAME: 'ana' } },
				ntfyTopic: 'https://ntfy.sh/ana-server',
				requests: { backup: 'old-request' },
				rebootWindow: window
			},
			commits: []
		});
		const ctx = await loadMoveContext(records);
		if (ctx === 'nothing') throw new Error('no context');
		expect(ctx.setup).toMatchObject({
			apps: ['memos', 'miniflux'],
			inputs: { miniflux: { ADMIN_USERNAME: 'ana' } },
			ntfyTopic: 'https://ntfy.sh/ana-server',
			rebootWindow: window,
			cloud: setup.cloud,
			backups: setup.backups
		});
		// A request the dashboard made once is not made again by the move.
		expect(ctx.setup.requests).toBeUndefined();
	});

	it('adopting rewrites the deployment to the new server and keeps repo and DNS; again changes nothing more', async () => {
		const moved = movedDeployment(finished(), TARGET, facts, 9);
		expect(moved.plan.input.cloud).toEqual({ provider: 'hetzner', region: 'fsn1', size: 'cx22' });
		expect(moved.steps.server?.output).toEqual({ serverId: 'new-server' });
		expect(moved.steps['wait-server']?.output).toEqual({ ipv4: '203.0.113.5', ipv6: null });
		expect(moved.resources.map((r) => r.id).sort()).toEqual(
			['me/config', 'memos.example.org|A', 'new-server', 'new-volume'].sort()
		);
		expect(movedDeployment(moved, TARGET, facts, 10).resources).toEqual(moved.resources);

		const records = memoryRecords();
		await records.put('setup', 'current', setup);
		await vaultDeploymentStore(records).save(finished());
		await adoptMove(records, ID, TARGET, facts, 9);
		await adoptMove(records, ID, TARGET, facts, 10);
		expect((await vaultDeploymentStore(records).load(ID))?.resources).toEqual(moved.resources);
		expect((await records.get('setup', 'current'))?.cloud).toEqual(TARGET);
	});
});
