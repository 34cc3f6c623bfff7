/**
 * Test doubles for the move runner's model tests: the deploy engine's `World` (cloud, DNS
 * and git doubles with faults and crashes) with a deployment already running on it, plus a
 * stand-in for the servers' status reports: the server the admin host's A record points
 * at answers, the current one handles backup requests, a new one reports a restore. Not
 * the sandbox server simulation: these stand in for the ports only.
 */
import { deploymentLabels } from '../../src/lib/core/labels.ts';
import { buildMovePlan, initialMoveState, type MoveInput, type MoveState } from '../../src/lib/core/deploy/move.ts';
import type { ServerStatus } from '../../src/lib/core/server/status.ts';
import type { RecordSet } from '../../src/lib/ports/dns.ts';
import type { RepoRef } from '../../src/lib/ports/git-host.ts';
import type { ServerLink } from '../../src/lib/ports/server.ts';
import { Crashed, World } from './deploy/world.ts';
import type { MoveRunnerPorts } from '../../src/lib/services/move/runner.ts';
import type { MovedFacts, MoveTimings } from '../../src/lib/services/move/steps.ts';

export const DEPLOYMENT = 'abc12345';
export const OLD_IP = '198.51.100.7';
export const ADMIN = 'nassella.example.org';
export const HOSTS = [
	{ app: 'vaultwarden', fqdn: 'passwords.example.org' },
	{ app: 'immich', fqdn: 'photos.example.org' }
];
const IDENTITY = 'age1' + 'q'.repeat(58);

export const FAST: MoveTimings = {
	lowTtl: 60,
	ttl: 300,
	ttlWaitCapMs: 120_000,
	pollMs: 1_000,
	backupTimeoutMs: 30_000,
	restoreTimeoutMs: 30_000,
	httpsTimeoutMs: 30_000
};

export type ServerFault = 'restore-fails' | 'app-unhealthy' | 'backup-fails';

export class MoveWorld {
	world = new World();
	/** Backup request ids the app committed (in order). */
	requested: string[] = [];
	snapshots: string[] = [];
	handled = new Set<string>();
	fault: ServerFault | undefined;
	moves = new Map<string, string>();
	adopted: MovedFacts[] = [];
	repo: RepoRef;
	initialDns: RecordSet[];

	constructor() {
		const labels = deploymentLabels(DEPLOYMENT);
		const w = this.world;
		w.cloud.push(
			{ kind: 'image', id: 'old-image', name: 'flatcar-r0', labels: { ...labels } },
			{ kind: 'volume', id: 'old-volume', name: `nassella-${DEPLOYMENT}-data`, labels: { ...labels } },
			{ kind: 'firewall', id: 'old-fw', name: `nassella-${DEPLOYMENT}-fw`, labels: { ...labels } },
			{ kind: 'server', id: 'old-server', name: `nassella-${DEPLOYMENT}-web`, labels: { ...labels }, ipv4: OLD_IP }
		);
		for (const name of [ADMIN, ...HOSTS.map((h) => h.fqdn)])
			w.dns.set(`${name}|A`, { name, type: 'A', ttl: 3600, values: [OLD_IP] });
		this.repo = {
			fullName: `someone/nassella-${DEPLOYMENT}-config`,
			sshUrl: 'git@git.example:someone/config.git',
			defaultBranch: 'main',
			hostKeys: []
		};
		w.repos.set(`nassella-${DEPLOYMENT}-config`, { ref: this.repo, commits: ['sha-first'], deployKeys: new Map() });
		this.initialDns = this.dnsNow();
		this.snapshots.push('snap-old');
	}

	dnsNow(): RecordSet[] {
		return [...this.world.dns.values()]
			.map((r) => ({ ...r, values: [...r.values] }))
			.sort((a, b) => a.name.localeCompare(b.name));
	}

	input(moveId = 'mv01'): MoveInput {
		return {
			deploymentId: DEPLOYMENT,
			moveId,
			from: {
				provider: 'double',
				region: 'r0',
				ipv4: OLD_IP,
				resources: [
					{ kind: 'server', id: 'old-server', name: `nassella-${DEPLOYMENT}-web` },
					{ kind: 'firewall', id: 'old-fw', name: `nassella-${DEPLOYMENT}-fw` },
					{ kind: 'volume', id: 'old-volume', name: `nassella-${DEPLOYMENT}-data` }
				]
			},
			to: { provider: 'double', region: 'r1', size: 's1' },
			volumeGiB: 10,
			adminHost: ADMIN,
			hosts: HOSTS
		};
	}

	start(moveId = 'mv01'): MoveState {
		const state = initialMoveState(buildMovePlan(this.input(moveId)), this.world.time);
		this.moves.set(DEPLOYMENT, JSON.stringify(state));
		return state;
	}

	stored(): MoveState {
		return JSON.parse(this.moves.get(DEPLOYMENT)!) as MoveState;
	}

	/** What the server the admin host points at reports. */
	#status(): ServerStatus {
		const ip = this.world.dns.get(`${ADMIN}|A`)?.values[0];
		const server = this.world.cloud.find((r) => r.kind === 'server' && (r as { ipv4?: string }).ipv4 === ip);
		if (!server) throw new Error('no server answers');
		const base: ServerStatus = {
			version: 1,
			commit: 'sha-first',
			appliedAt: '2026-11-25T00:00:00Z',
			checkedAt: '2026-11-25T00:00:00Z',
			result: 'ok',
			lastError: null,
			apps: Object.fromEntries(HOSTS.map((h) => [h.app, 'healthy'])),
			os: { version: '4081.2.0', update: null },
			backup: null,
			identity: IDENTITY
		};
		if (server.id === 'old-server') {
			const last = this.requested.at(-1);
			if (last && !this.handled.has(last)) {
				this.handled.add(last);
				if (this.fault !== 'backup-fails') this.snapshots.unshift(`snap-${this.snapshots.length}`);
			}
			return {
				...base,
				backup: { result: 'ok', snapshots: this.snapshots.map((id) => ({ id, time: '2026-11-25T00:00:00Z' })) },
				...(last
					? { requests: { backup: { id: last, state: this.fault === 'backup-fails' ? 'failed' : 'done' } } }
					: {})
			};
		}
		if (this.fault === 'restore-fails')
			return { ...base, apps: {}, restore: { state: 'failed', snapshot: this.snapshots[0], error: 'wrong password' } };
		return {
			...base,
			apps: this.fault === 'app-unhealthy' ? { ...base.apps, immich: 'not answering (502)' } : base.apps,
			restore: { state: 'done', snapshot: this.snapshots[0] }
		};
	}

	ports(): MoveRunnerPorts {
		const w = this.world;
		const epoch = w.epoch;
		const base = w.ports();
		const alive = () => {
			if (w.epoch !== epoch) throw new Crashed();
		};
		const link: ServerLink = {
			host: ADMIN,
			status: async () => {
				alive();
				return this.#status();
			},
			journal: () => {
				throw new Error('not used');
			}
		};
		return {
			cloud: base.cloud,
			fromCloud: base.cloud,
			dns: base.dns,
			git: base.git,
			repo: this.repo,
			link,
			probe: base.probe,
			clock: base.clock,
			apps: HOSTS.map((h) => h.app),
			artifacts: {
				bundle: async ({ requests }) => {
					alive();
					if (requests.backup) this.requested.push(requests.backup);
					return [{ path: 'requests.json', content: JSON.stringify(requests) }];
				},
				sign: async () => 'sig',
				ignition: async ({ volume }) => JSON.stringify({ restore: true, volume })
			},
			adopt: async (facts) => {
				alive();
				this.adopted.push(facts);
			},
			store: {
				load: async () => this.stored(),
				save: async (s) => {
					alive();
					this.moves.set(s.deploymentId, JSON.stringify(s));
				},
				remove: async (id) => {
					this.moves.delete(id);
				}
			},
			random: () => 0.5
		};
	}
}
