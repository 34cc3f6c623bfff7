/**
 * In-memory doubles for the dashboard's tests: a vault of records, a git host that keeps
 * commits, and a server that applies the repository's head a few status reads later
 * (or refuses it, rolls it back, or reports an app unhealthy, when told to).
 */
import { ProviderError } from '../../src/lib/core/errors.ts';
import { parseServerStatus, type ServerStatus } from '../../src/lib/core/server/status.ts';
import type { BundleFile, GitHost, RepoRef } from '../../src/lib/ports/git-host.ts';
import type { ServerLink } from '../../src/lib/ports/server.ts';
import type { RecordVault, Vault } from '../../src/lib/ports/vault.ts';
import { typedRecords } from '../../src/lib/services/records.ts';

/** A vault's records by name, in memory (stored as JSON text, as the vault does). */
export function memoryVault(data = new Map<string, string>()): Pick<Vault, 'get' | 'put' | 'delete' | 'list'> {
	return {
		async get<T>(name: string) {
			const v = data.get(name);
			return v === undefined ? undefined : (JSON.parse(v) as T);
		},
		async put(name, value) {
			data.set(name, JSON.stringify(value));
		},
		async delete(name) {
			data.delete(name);
		},
		async list(prefix = '') {
			return [...data.keys()].filter((k) => k.startsWith(prefix)).sort();
		}
	};
}

export function memoryRecords(): RecordVault & { data: Map<string, string> } {
	const data = new Map<string, string>();
	return { data, ...typedRecords(memoryVault(data)) };
}

export const TEST_REPO: RepoRef = {
	fullName: 'someone/nassella-abc-config',
	sshUrl: 'git@example.org:someone/nassella-abc-config.git',
	defaultBranch: 'main',
	hostKeys: []
};

export interface StoredCommit {
	sha: string;
	parent?: string;
	message: string;
	files: BundleFile[];
	signature: string;
}

export class MemoryGit {
	commits: StoredCommit[] = [];
	/** Fail the next commit with this error. */
	failNext: ProviderError | undefined;
	#n = 0;

	get head(): string | undefined {
		return this.commits.at(-1)?.sha;
	}

	host(): GitHost {
		return {
			id: 'memory',
			displayName: 'Memory',
			verify: async () => ({ account: 'someone' }),
			ensureRepo: async () => TEST_REPO,
			head: async () => this.head,
			commit: async (_repo, files, message, expectedParent, sign) => {
				if (this.failNext) {
					const e = this.failNext;
					this.failNext = undefined;
					throw e;
				}
				if (expectedParent !== this.head)
					throw new ProviderError({ code: 'conflict', provider: 'Memory', message: 'moved', action: 'retry' });
				this.#n++;
				const sha = this.#n.toString(16).padStart(40, 'a');
				const signature = await sign(`tree\n${message}`);
				this.commits.push({ sha, parent: this.head, message, files, signature });
				return { sha, parent: expectedParent };
			},
			ensureDeployKey: async () => ({ id: '1' }),
			deleteRepo: async () => undefined
		};
	}
}

export type ServerFault =
	| 'refuse'
	| 'roll-back'
	| { unhealthy: string }
	/** The app does not start with the new commit: the server applies the rest and holds it back, as nassella-sync does. */
	| { failsToStart: string }
	| 'backup-fails'
	| 'down'
	| 'auth';

/** A server that follows the memory repo: after `delay` status reads it applies the head. */
export class MemoryServer {
	faults: ServerFault[] = [];
	delay = 1;
	clock = { now: () => Date.parse('2026-11-25T12:00:00Z') };
	#status: ServerStatus;
	#seenHead: string | undefined;
	#reads = 0;
	reads = 0;
	readonly git: MemoryGit;

	constructor(git: MemoryGit, initial?: Partial<ServerStatus>) {
		this.git = git;
		this.#status = parseServerStatus({
			version: 1,
			commit: git.head ?? null,
			appliedAt: '2026-11-25T11:00:00Z',
			checkedAt: '2026-11-25T11:59:00Z',
			result: 'ok',
			lastError: null,
			apps: { ...this.#appsOf(git.head) },
			os: { version: '4081.2.0', update: null, rebootWindow: 'Sun 04:00 UTC, 2h' },
			backup: { result: 'ok', lastSuccess: '2026-11-25T03:00:00Z', sizeBytes: 1_200_000, snapshots: [] },
			disk: { data: { usedBytes: 2e9, totalBytes: 10e9 } },
			...initial
		});
		this.#seenHead = git.head;
	}

	#appsOf(sha: string | undefined): Record<string, string> {
		const c = this.git.commits.find((x) => x.sha === sha);
		const list = c?.files.find((f) => f.path === 'apps.txt')?.content;
		const apps = typeof list === 'string' ? list.split('\n').filter(Boolean) : [];
		return Object.fromEntries(apps.map((a) => [a, 'healthy']));
	}

	#iso(): string {
		return new Date(this.clock.now()).toISOString();
	}

	#requests(sha: string | undefined): ServerStatus['requests'] {
		const c = this.git.commits.find((x) => x.sha === sha);
		const text = c?.files.find((f) => f.path === 'requests.json')?.content;
		if (typeof text !== 'string') return this.#status.requests;
		const wanted = JSON.parse(text) as { backup?: string };
		if (!wanted.backup || this.#status.requests?.backup?.id === wanted.backup) return this.#status.requests;
		const failed = this.faults.includes('backup-fails');
		return {
			backup: {
				id: wanted.backup,
				state: failed ? 'failed' : 'done',
				at: this.#iso(),
				...(failed ? { error: 'bucket is full' } : {})
			}
		};
	}

	link(): ServerLink {
		return {
			host: 'nassella.example.org',
			status: async () => {
				this.reads++;
				if (this.faults.includes('down'))
					throw new ProviderError({ code: 'network', provider: 'your server', message: 'no answer', action: 'wait' });
				if (this.faults.includes('auth'))
					throw new ProviderError({
						code: 'unauthorized',
						provider: 'your server',
						message: 'no',
						action: 'x',
						status: 401
					});
				const head = this.git.head;
				if (head !== this.#seenHead) {
					this.#reads++;
					if (this.#reads > this.delay) {
						this.#seenHead = head;
						this.#reads = 0;
						if (this.faults.includes('refuse')) {
							this.#status = { ...this.#status, result: 'refused', lastError: 'bad signature', checkedAt: this.#iso() };
						} else if (this.faults.includes('roll-back')) {
							this.#status = {
								...this.#status,
								result: 'rolled-back',
								lastError: 'app did not start',
								checkedAt: this.#iso()
							};
						} else {
							const apps = this.#appsOf(head);
							const previous = this.#status.commit;
							const ranBefore = new Set(Object.keys(this.#status.apps));
							const failedApps: NonNullable<ServerStatus['failedApps']> = {};
							for (const f of this.faults) {
								if (typeof f !== 'object') continue;
								if ('unhealthy' in f) apps[f.unhealthy] = 'not answering (502)';
								else if (f.failsToStart in apps) {
									const from = ranBefore.has(f.failsToStart) && previous ? previous : '';
									failedApps[f.failsToStart] = {
										from,
										reason: 'not answering (502)',
										...(head ? { commit: head } : {})
									};
									apps[f.failsToStart] = from ? 'healthy' : 'stopped: not answering (502)';
								}
							}
							const partial = Object.keys(failedApps).length > 0;
							this.#status = {
								...this.#status,
								commit: head ?? null,
								appliedAt: this.#iso(),
								result: partial ? 'partial' : 'ok',
								lastError: partial
									? `${Object.keys(failedApps).join(', ')} did not start with the latest settings`
									: null,
								apps,
								requests: this.#requests(head),
								...(partial ? { failedApps } : {})
							};
							if (!partial) delete this.#status.failedApps;
						}
					}
				}
				this.#status = { ...this.#status, checkedAt: this.#iso() };
				return structuredClone(this.#status);
			},
			journal: () => ({
				async *[Symbol.asyncIterator]() {
					/* no journal in these tests */
				}
			})
		};
	}
}

/** A bundle stand-in the memory server understands: the app list and the requests. */
export function testBundle(settings: { apps: string[]; requests?: { backup?: string } }): BundleFile[] {
	const files: BundleFile[] = [{ path: 'apps.txt', content: settings.apps.join('\n') }];
	if (settings.requests) files.push({ path: 'requests.json', content: JSON.stringify(settings.requests) });
	return files;
}
