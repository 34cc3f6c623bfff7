import { describe, expect, it } from 'vitest';
import type { ServerStatus } from '../../core/server/status.ts';
import { World } from '../../../../tests/doubles/deploy/world.ts';
import { awaitDrill, DRILL_EVERY_MS, drillDue, requestDrill, type DrillPorts, type DrillRecord } from './drill.ts';

const DAY = 24 * 60 * 60_000;

function setup(answer: (id: string | undefined) => ServerStatus['requests']) {
	const world = new World();
	const p = world.ports();
	const repo = { fullName: 'someone/config', sshUrl: 'git@x:someone/config.git', defaultBranch: 'main', hostKeys: [] };
	world.repos.set('config', { ref: repo, commits: ['sha-1'], deployKeys: new Map() });
	const records = new Map<string, DrillRecord>();
	let committed: string | undefined;
	const ports: DrillPorts = {
		git: p.git,
		repo,
		clock: p.clock,
		randomId: () => 'r4nd0m',
		artifacts: {
			bundle: async ({ requests }) => [{ path: 'requests.json', content: JSON.stringify(requests) }],
			sign: async () => 'sig'
		},
		link: {
			host: 'nassella.example.org',
			status: async () => ({
				version: 1,
				commit: 'sha',
				appliedAt: null,
				checkedAt: '2026-11-25T00:00:00Z',
				result: 'ok',
				lastError: null,
				apps: {},
				os: { version: '1', update: null },
				backup: null,
				requests: answer(committed)
			}),
			journal: () => {
				throw new Error('unused');
			}
		},
		store: {
			load: async (id) => records.get(id),
			save: async (id, r) => void records.set(id, structuredClone(r))
		}
	};
	const commit = p.git.commit;
	ports.git = {
		...p.git,
		commit: async (repo, files, ...rest) => {
			committed = (JSON.parse(files[0]!.content as string) as { drill: string }).drill;
			return commit(repo, files, ...rest);
		}
	};
	return { world, ports, records };
}

describe('restore drill', () => {
	it('commits a drill request and stores what the server reports', async () => {
		let polls = 0;
		const { world, ports, records } = setup((id) =>
			++polls < 3 || !id
				? { drill: { id: 'older', state: 'done' } }
				: { drill: { id, state: 'done', snapshot: 'ab12cd34', files: 42 } }
		);
		const id = await requestDrill(ports, 'abc12345');
		expect(id).toBe('drill-r4nd0m');
		expect(world.repos.get('config')!.commits).toHaveLength(2);
		const last = await awaitDrill(ports, 'abc12345', { pollMs: 1000, timeoutMs: 60_000 });
		expect(last).toMatchObject({ id, ok: true, snapshot: 'ab12cd34', files: 42 });
		expect(records.get('abc12345')?.last?.ok).toBe(true);
		expect(drillDue(records.get('abc12345'), world.time)).toBe(false);
	});

	it('reports a failed drill with the server’s reason', async () => {
		const { ports } = setup((id) => (id ? { drill: { id, state: 'failed', error: 'wrong repository password' } } : {}));
		await requestDrill(ports, 'abc12345');
		const last = await awaitDrill(ports, 'abc12345', { pollMs: 1000, timeoutMs: 60_000 });
		expect(last).toMatchObject({ ok: false, error: 'wrong repository password' });
	});

	it('gives up waiting after the timeout, keeping the request to look again later', async () => {
		const { ports, records } = setup((id) => (id ? { drill: { id, state: 'running' } } : {}));
		await requestDrill(ports, 'abc12345');
		await expect(awaitDrill(ports, 'abc12345', { pollMs: 1000, timeoutMs: 5_000 })).rejects.toThrow(/not reported/);
		expect(records.get('abc12345')?.requestId).toBe('drill-r4nd0m');
	});

	it('reminds monthly: never drilled, failed, or older than 30 days', () => {
		const now = 1_800_000_000_000;
		expect(drillDue(undefined, now)).toBe(true);
		expect(drillDue({ last: { id: 'a', at: now - DAY, ok: false } }, now)).toBe(true);
		expect(drillDue({ last: { id: 'a', at: now - DAY, ok: true } }, now)).toBe(false);
		expect(drillDue({ last: { id: 'a', at: now - DRILL_EVERY_MS - 1, ok: true } }, now)).toBe(true);
	});
});
