import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../core/errors.ts';
import type { ServerStatus } from '../../core/server/status.ts';
import type { AppProbe } from '../../ports/deploy.ts';
import type { ServerLink } from '../../ports/server.ts';
import { serverProbe } from './probe.ts';

const base: ServerStatus = {
	version: 1,
	commit: 'a'.repeat(40),
	appliedAt: '2026-11-25T10:00:00Z',
	checkedAt: '2026-11-25T10:00:00Z',
	result: 'ok',
	lastError: null,
	apps: {},
	os: { version: '4230.2.3', update: null },
	backup: null
};

function setup(dnsOk: boolean, answers: (() => ServerStatus | Error)[]) {
	let calls = 0;
	const dns: AppProbe = { answers: async () => dnsOk };
	const link: ServerLink = {
		host: 'nassella.example.org',
		async status() {
			const next = answers[Math.min(calls++, answers.length - 1)]!();
			if (next instanceof Error) throw next;
			return next;
		},
		async *journal() {}
	};
	let t = 0;
	const probe = serverProbe({ dns, apps: ['vaultwarden', 'memos'], link: async () => link, now: () => (t += 2000) });
	return { probe, calls: () => calls };
}

const server = { ipv4: '203.0.113.5' };
const notYet = new ProviderError({
	code: 'network',
	provider: 'your server',
	message: 'The server is not reachable yet.',
	action: ''
});

describe('server probe', () => {
	it('needs DNS first, then every app healthy in the status', async () => {
		const dnsMissing = setup(false, [() => base]);
		expect(await dnsMissing.probe.answers('vault.example.org', server)).toBe(false);
		expect(dnsMissing.probe.why?.()).toMatch(/does not point at your server/);
		expect(dnsMissing.calls()).toBe(0);

		const { probe } = setup(true, [
			() => notYet,
			() => ({ ...base, apps: { vaultwarden: 'healthy', memos: 'starting' } }),
			() => ({ ...base, apps: { vaultwarden: 'healthy', memos: 'healthy' } })
		]);
		expect(await probe.answers('vault.example.org', server)).toBe(false);
		expect(probe.why?.()).toMatch(/not reachable yet/);
		expect(await probe.answers('vault.example.org', server)).toBe(false);
		expect(probe.why?.()).toBe('Waiting for your server to start your apps (memos: starting).');
		expect(await probe.answers('vault.example.org', server)).toBe(true);
		expect(probe.why?.()).toBeUndefined();
	});

	it('stops waiting when the restore failed, the settings were refused, or the password is wrong', async () => {
		const restore = setup(true, [
			() => ({ ...base, commit: null, restore: { state: 'failed', error: 'wrong password' }, result: 'error' })
		]);
		await expect(restore.probe.answers('a.example.org', server)).rejects.toThrow(
			/could not restore your backup: wrong password/
		);
		const refused = setup(true, [() => ({ ...base, result: 'refused', lastError: 'not signed' })]);
		await expect(refused.probe.answers('a.example.org', server)).rejects.toThrow(/refused its settings: not signed/);
		const auth = setup(true, [
			() => new ProviderError({ code: 'unauthorized', provider: 'your server', message: 'no', action: '' })
		]);
		await expect(auth.probe.answers('a.example.org', server)).rejects.toMatchObject({ code: 'unauthorized' });
		const partial = setup(true, [
			() => ({
				...base,
				result: 'partial',
				apps: { vaultwarden: 'healthy', memos: 'stopped: not answering (502)' },
				failedApps: { memos: { from: '', reason: 'not answering (502)' } }
			})
		]);
		await expect(partial.probe.answers('a.example.org', server)).rejects.toThrow(
			'Your server runs, but not every app started: memos did not start (not answering (502)); it is stopped.'
		);
	});

	it('reads the status once for the checks of several hosts at the same time', async () => {
		let calls = 0;
		const link: ServerLink = {
			host: 'h.example.org',
			status: async () => (calls++, { ...base, apps: { vaultwarden: 'healthy', memos: 'healthy' } }),
			async *journal() {}
		};
		const probe = serverProbe({
			dns: { answers: async () => true },
			apps: ['vaultwarden', 'memos'],
			link: async () => link
		});
		const results = await Promise.all(['a', 'b', 'c'].map((h) => probe.answers(`${h}.example.org`, server)));
		expect(results).toEqual([true, true, true]);
		expect(calls).toBe(1);
	});
});
