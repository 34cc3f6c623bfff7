/**
 * Test doubles of the cloud, DNS and git ports for the deploy engine's model tests: one
 * shared "world" of what exists, with injectable faults (429, 5xx, network drops, a
 * response lost after the provider acted) and crashes (the page dies: every later call
 * and every later state write of that runner is lost). The cloud double deliberately
 * creates on every `ensure*` call without looking first, so only the engine's own
 * observation can prevent duplicates. The Flatcar image is the account's, as with the real
 * providers: one per region, shared by every deployment in the world. These are not the OpenAPI-validated fakes of the
 * providers: they stand in for the ports, not for the vendors' HTTP APIs.
 */
import { ProviderError } from '../../../src/lib/core/errors.ts';
import type { DeploymentState } from '../../../src/lib/core/deploy/machine.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Labels } from '../../../src/lib/core/labels.ts';
import type { CloudProvider, CloudResource, Server } from '../../../src/lib/ports/cloud.ts';
import type { AppProbe, Clock, DeployArtifacts, DeploymentStore } from '../../../src/lib/ports/deploy.ts';
import type { DnsProvider, RecordSet } from '../../../src/lib/ports/dns.ts';
import type { GitHost, RepoRef } from '../../../src/lib/ports/git-host.ts';

export type Fault = 'rate-limited' | 'unavailable' | 'network' | 'lost-response' | 'quota' | 'crash';

/** Thrown at a runner whose page has "died"; nothing it does afterwards has any effect. */
export class Crashed extends Error {
	constructor() {
		super('crashed');
		this.name = 'Crashed';
	}
}

export interface WorldRepo {
	ref: RepoRef;
	commits: string[];
	deployKeys: Map<string, string>;
}

export class World {
	/** What exists at the cloud provider. */
	cloud: (CloudResource & { ipv4?: string })[] = [];
	/** Every create the cloud ever performed (to count duplicates, even deleted ones). */
	cloudCreates: { kind: string; name: string }[] = [];
	dns = new Map<string, RecordSet>();
	zones = [{ id: 'zone-1', name: 'example.org' }];
	/** Zone names someone else holds: claiming one is a conflict. */
	takenZones = new Set<string>();
	repos = new Map<string, WorldRepo>();
	/** The store outlives crashes, like IndexedDB. */
	stored = new Map<string, string>();
	/** Faults applied to the next calls, in order. */
	faults: Fault[] = [];
	/** Crash after this many more calls (counting the one that crashes), if set. */
	crashAfterCalls: number | undefined;
	epoch = 0;
	calls = 0;
	time = 1_700_000_000_000;
	/** Start new repos with a commit of their own, as GitHub does with a README. */
	autoInitRepos = false;
	/** Simulated latency of every call, and how long a server takes to boot (benchmarks). */
	latencyMs = 0;
	bootMs = 0;
	/** How the simulated waits pass (virtual or real time); by default they do not. */
	delay: (ms: number) => Promise<void> = async () => {};
	#seq = 0;

	nextId(prefix: string): string {
		this.#seq += 1;
		return `${prefix}-${this.#seq}`;
	}

	crash(): void {
		this.epoch += 1;
		this.crashAfterCalls = undefined;
	}

	/** Ports bound to the current epoch: after a crash they refuse to act. */
	ports(): {
		cloud: CloudProvider;
		dns: DnsProvider;
		git: GitHost;
		probe: AppProbe;
		store: DeploymentStore;
		clock: Clock;
	} {
		const epoch = this.epoch;
		const gate = async <T>(provider: string, mutating: boolean, effect: () => T | Promise<T>): Promise<T> => {
			if (this.epoch !== epoch) throw new Crashed();
			await Promise.resolve();
			if (this.latencyMs) await this.delay(this.latencyMs);
			if (this.epoch !== epoch) throw new Crashed();
			this.calls += 1;
			if (this.crashAfterCalls !== undefined) {
				this.crashAfterCalls -= 1;
				if (this.crashAfterCalls <= 0) {
					// Dies right after the provider acted.
					const result = await effect();
					void result;
					this.crash();
					throw new Crashed();
				}
			}
			const fault = this.faults.shift();
			switch (fault) {
				case 'rate-limited':
					throw new ProviderError({
						code: 'rate-limited',
						provider,
						message: 'Too many requests.',
						action: 'Wait.',
						status: 429,
						retryAfterMs: 2_000
					});
				case 'unavailable':
					throw new ProviderError({
						code: 'unavailable',
						provider,
						message: 'Server error.',
						action: 'Wait.',
						status: 503
					});
				case 'network':
					throw new ProviderError({ code: 'network', provider, message: 'No answer.', action: 'Wait.' });
				case 'quota':
					if (mutating)
						throw new ProviderError({
							code: 'quota',
							provider,
							message: 'Limit reached.',
							action: 'Remove something.',
							status: 403
						});
					break;
				case 'lost-response': {
					await effect();
					throw new ProviderError({ code: 'network', provider, message: 'The answer was lost.', action: 'Wait.' });
				}
				case 'crash': {
					await effect();
					this.crash();
					throw new Crashed();
				}
			}
			return effect();
		};

		const labelled = (labels: Labels) => (r: { labels: Labels }) =>
			Object.entries(labels).every(([k, v]) => r.labels[k] === v);
		const create = <K extends CloudResource['kind']>(kind: K, name: string, labels: Labels, extra: object = {}) => {
			const r = { kind, id: this.nextId(kind), name, labels: { ...labels }, status: 'ready', ...extra };
			this.cloud.push(r);
			this.cloudCreates.push({ kind, name });
			return r;
		};

		const cloud: CloudProvider = {
			id: 'double-cloud',
			displayName: 'Test cloud',
			verify: () => gate('Test cloud', false, () => ({ account: 'someone' })),
			regions: () => gate('Test cloud', false, () => [{ id: 'r1', name: 'Region 1', available: true }]),
			sizes: () => gate('Test cloud', false, () => []),
			// Like the real adapters, the image is the account's, shared by its deployments: it
			// carries no deployment label. Created blindly, like everything here.
			ensureImage: (region) =>
				gate('Test cloud', true, () =>
					create('image', `flatcar-${region}`, { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }, { region })
				),
			ensureSshKey: (name, _key, labels) => gate('Test cloud', true, () => create('ssh-key', name, labels)),
			ensureVolume: (name, _region, _size, labels) => gate('Test cloud', true, () => create('volume', name, labels)),
			ensureFirewall: (name, _ssh, labels) => gate('Test cloud', true, () => create('firewall', name, labels)),
			ensureServer: (spec) =>
				gate('Test cloud', true, () => {
					for (const id of [spec.imageId, ...spec.volumeIds, spec.firewallId ?? '', ...spec.sshKeyIds]) {
						if (id && !this.cloud.some((r) => r.id === id))
							throw new ProviderError({
								code: 'invalid',
								provider: 'Test cloud',
								message: `Unknown ${id}.`,
								action: ''
							});
					}
					const n = this.#seq + 1;
					return create('server', spec.name, spec.labels, { ipv4: `192.0.2.${n % 250}` });
				}),
			waitForServer: (id) =>
				gate('Test cloud', false, async () => {
					if (this.bootMs) await this.delay(this.bootMs);
					const s = this.cloud.find((r) => r.id === id && r.kind === 'server');
					if (!s)
						throw new ProviderError({
							code: 'not-found',
							provider: 'Test cloud',
							message: 'No such server.',
							action: ''
						});
					return { ...s, kind: 'server', status: 'running' } as Server;
				}),
			findByLabels: (labels) =>
				gate('Test cloud', false, () => this.cloud.filter(labelled(labels)).map((r) => ({ ...r }))),
			metrics: () =>
				gate('Test cloud', false, () => ({ cpuPercent: [], networkInBytesPerSec: [], networkOutBytesPerSec: [] })),
			delete: (r) =>
				gate('Test cloud', true, () => {
					this.cloud = this.cloud.filter((x) => !(x.id === r.id && x.kind === r.kind));
				})
		};

		const dns: DnsProvider = {
			id: 'double-dns',
			displayName: 'Test DNS',
			verify: () => gate('Test DNS', false, () => ({ account: 'someone' })),
			findZone: (fqdn) =>
				gate('Test DNS', false, () => {
					const z = this.zones.find((z) => fqdn === z.name || fqdn.endsWith('.' + z.name));
					if (!z) throw new ProviderError({ code: 'not-found', provider: 'Test DNS', message: 'No zone.', action: '' });
					return { ...z };
				}),
			ensureZone: (name) =>
				gate('Test DNS', true, () => {
					if (this.takenZones.has(name))
						throw new ProviderError({
							code: 'conflict',
							provider: 'Test DNS',
							message: 'This name is taken.',
							action: 'Pick another name.',
							status: 409
						});
					const zone = { id: this.nextId('zone'), name };
					this.zones.push(zone);
					return { ...zone };
				}),
			list: (zone) => gate('Test DNS', false, () => [...this.dns.values()].filter((r) => r.name.endsWith(zone.name))),
			upsert: (_zone, record) =>
				gate('Test DNS', true, () => {
					this.dns.set(`${record.name}|${record.type}`, { ...record, values: [...record.values] });
				}),
			delete: (_zone, name, type) =>
				gate('Test DNS', true, () => {
					this.dns.delete(`${name}|${type}`);
				})
		};

		const git: GitHost = {
			id: 'double-git',
			displayName: 'Test git',
			verify: () => gate('Test git', false, () => ({ account: 'someone' })),
			ensureRepo: (name) =>
				gate('Test git', true, () => {
					const existing = this.repos.get(name);
					if (existing) {
						if (existing.commits.some((c) => !c.startsWith('init-')))
							throw new ProviderError({ code: 'conflict', provider: 'Test git', message: 'Not empty.', action: '' });
						return existing.ref;
					}
					const ref: RepoRef = {
						fullName: `someone/${name}`,
						sshUrl: `git@git.example:someone/${name}.git`,
						defaultBranch: 'main',
						hostKeys: ['git.example ssh-ed25519 AAAA']
					};
					this.repos.set(name, {
						ref,
						commits: this.autoInitRepos ? [this.nextId('init')] : [],
						deployKeys: new Map()
					});
					return ref;
				}),
			head: (repo) => gate('Test git', false, () => this.#repo(repo).commits.at(-1)),
			commit: (repo, files, _message, expectedParent) =>
				gate('Test git', true, () => {
					const r = this.#repo(repo);
					if (r.commits.at(-1) !== expectedParent)
						throw new ProviderError({ code: 'conflict', provider: 'Test git', message: 'Moved.', action: '' });
					const sha = this.nextId(`sha${files.length}`);
					r.commits.push(sha);
					return { sha, parent: expectedParent };
				}),
			ensureDeployKey: (repo, title, publicKey) =>
				gate('Test git', true, () => {
					this.#repo(repo).deployKeys.set(title, publicKey);
					return { id: `key-${title}` };
				}),
			deleteRepo: (repo) =>
				gate('Test git', true, () => {
					for (const [name, r] of this.repos) if (r.ref.fullName === repo.fullName) this.repos.delete(name);
				})
		};

		const probe: AppProbe = {
			answers: (fqdn, server) =>
				gate('your server', false, () => {
					const running = this.cloud.some((r) => r.kind === 'server' && r.ipv4 === server.ipv4);
					const record = this.dns.get(`${fqdn}|A`);
					return running && record?.values[0] === server.ipv4;
				})
		};

		const store: DeploymentStore = {
			load: async (id) => {
				const t = this.stored.get(id);
				return t === undefined ? undefined : (JSON.parse(t) as DeploymentState);
			},
			save: async (state) => {
				if (this.epoch !== epoch) throw new Crashed();
				this.stored.set(state.id, JSON.stringify(state));
			},
			list: async () => [...this.stored.keys()],
			remove: async (id) => {
				this.stored.delete(id);
			}
		};

		const clock: Clock = {
			now: () => this.time,
			sleep: async (ms, signal) => {
				if (signal?.aborted) throw new DOMException('Aborted', 'AbortError');
				await Promise.resolve();
				this.time += Math.max(0, ms);
			}
		};

		return { cloud, dns, git, probe, store, clock };
	}

	#repo(ref: RepoRef): WorldRepo {
		for (const r of this.repos.values()) if (r.ref.fullName === ref.fullName) return r;
		throw new ProviderError({ code: 'not-found', provider: 'Test git', message: 'No such repo.', action: '' });
	}
}

export const testArtifacts: DeployArtifacts = {
	bundle: async () => [
		{ path: 'docker-compose.yml', content: 'services: {}\n' },
		{ path: 'Caddyfile', content: '' }
	],
	sign: async () => '-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n',
	deployKey: async () => ({ title: 'nassella server', publicKey: 'ssh-ed25519 AAAA server' }),
	ignition: async ({ repo, commit }) => JSON.stringify({ ignition: { version: '3.3.0' }, repo: repo.sshUrl, commit })
};
