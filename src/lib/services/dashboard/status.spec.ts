import { describe, expect, it } from 'vitest';
import { parseServerStatus } from '../../core/server/status.ts';
import { recordName } from '../../ports/vault.ts';
import {
	appHealth,
	backupVerdict,
	diskVerdict,
	formatAge,
	formatBytes,
	overallVerdict,
	pendingVerdict,
	syncVerdict,
	vaultStatusCache
} from './status.ts';
import { memoryRecords } from '../../../../tests/doubles/dashboard.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const base = {
	version: 1,
	commit: 'a'.repeat(40),
	appliedAt: '2026-11-25T10:00:00Z',
	checkedAt: '2026-11-25T11:59:00Z',
	result: 'ok',
	lastError: null,
	apps: { vaultwarden: 'healthy', immich: 'healthy' },
	os: { version: '4081.2.0', update: null },
	backup: { result: 'ok', lastSuccess: '2026-11-25T03:00:00Z', sizeBytes: 5_300_000_000 },
	disk: { data: { usedBytes: 50e9, totalBytes: 100e9 } }
};
const status = (over: Record<string, unknown> = {}) => parseServerStatus({ ...base, ...over });

describe('backup verdict', () => {
	it('is calm for a recent good backup and says its age and size', () => {
		const v = backupVerdict(status(), NOW);
		expect(v.level).toBe('ok');
		expect(v.title).toBe('Last backup 9 hours ago.');
		expect(v.detail).toContain('5.3 GB');
	});
	it('is loud for a failed backup, with the server’s reason and the last good one', () => {
		const v = backupVerdict(
			status({ backup: { result: 'failed', error: 'bucket quota exceeded', lastSuccess: '2026-11-22T03:00:00Z' } }),
			NOW
		);
		expect(v.level).toBe('bad');
		expect(v.title).toBe('The last backup failed.');
		expect(v.detail).toContain('bucket quota exceeded');
		expect(v.detail).toContain('3 days ago');
		expect(v.detail).toContain('Back up now');
	});
	it('is loud for a stale backup even when the last run said ok', () => {
		const v = backupVerdict(status({ backup: { result: 'ok', lastSuccess: '2026-11-23T03:00:00Z' } }), NOW);
		expect(v.level).toBe('bad');
		expect(v.title).toContain('old');
	});
	it('warns when nothing ran yet', () => {
		expect(backupVerdict(status({ backup: null }), NOW).level).toBe('warn');
		expect(backupVerdict(status({ backup: { result: 'ok' } }), NOW).level).toBe('warn');
	});
});

describe('status views', () => {
	it('lists expected apps that the server does not report, and reasons of sick ones', () => {
		const rows = appHealth(status({ apps: { vaultwarden: 'healthy', immich: 'not answering (502)' } }), [
			'vaultwarden',
			'immich',
			'memos'
		]);
		expect(rows).toEqual([
			{ id: 'vaultwarden', healthy: true, text: 'Working' },
			{ id: 'immich', healthy: false, text: 'not answering (502)' },
			{ id: 'memos', healthy: false, text: 'Not reported yet' }
		]);
	});
	it('says in plain words what runs instead of an app that did not start', () => {
		const s = status({
			result: 'partial',
			apps: { vaultwarden: 'healthy', memos: 'stopped: not answering (502)', immich: 'healthy' },
			failedApps: {
				memos: { from: '', reason: 'not answering (502)' },
				immich: { from: 'b'.repeat(40), reason: 'unhealthy' }
			}
		});
		expect(appHealth(s, ['vaultwarden', 'memos', 'immich'])).toEqual([
			{ id: 'vaultwarden', healthy: true, text: 'Working' },
			{
				id: 'memos',
				healthy: false,
				text: 'Did not start with your latest settings (not answering (502)), so it is stopped.'
			},
			{
				id: 'immich',
				healthy: false,
				text: 'Did not start with your latest settings (unhealthy), so it runs its earlier version.'
			}
		]);
		expect(syncVerdict(s)).toMatchObject({ level: 'warn', title: 'Some apps did not start with the latest settings.' });
		expect(syncVerdict(s)?.detail).toMatch(/other apps run the latest settings/);
	});
	it('overall: sick apps first, then a failed sync, then backups', () => {
		expect(overallVerdict(status(), ['vaultwarden', 'immich'], NOW)).toEqual({
			level: 'ok',
			title: 'Everything is working.'
		});
		expect(overallVerdict(status({ apps: { vaultwarden: 'starting' } }), ['vaultwarden'], NOW).title).toBe(
			'vaultwarden needs attention.'
		);
		expect(
			overallVerdict(status({ apps: { vaultwarden: 'starting' } }), ['vaultwarden'], NOW, () => 'Vaultwarden').title
		).toBe('Vaultwarden needs attention.');
		expect(overallVerdict(status({ result: 'starting', commit: null, apps: {} }), ['vaultwarden'], NOW)).toEqual({
			level: 'info',
			title: 'Your apps are starting.'
		});
		expect(syncVerdict(status({ result: 'starting' }))?.level).toBe('info');
		expect(overallVerdict(status({ result: 'refused' }), ['vaultwarden'], NOW).level).toBe('bad');
	});
	it('overall: an app just added is starting, not failing, until the server has applied the change', () => {
		const running = status({ apps: { vaultwarden: 'healthy' } });
		const name = (id: string) => (id === 'uptime-kuma' ? 'Uptime Kuma' : 'Vaultwarden');
		// The settings moved on (a new head) and the server has not reached them yet.
		expect(overallVerdict(running, ['vaultwarden', 'uptime-kuma'], NOW, name, 'f'.repeat(40))).toEqual({
			level: 'info',
			title: 'Starting Uptime Kuma…',
			detail: '1 of 2 apps are working; the others start within a few minutes of a change.'
		});
		// Once the server runs the latest settings, an app still missing needs attention.
		expect(overallVerdict(running, ['vaultwarden', 'uptime-kuma'], NOW, name, running.commit!).title).toBe(
			'Uptime Kuma needs attention.'
		);
		// A failed app is never "starting", whatever the head.
		expect(
			overallVerdict(
				status({ apps: { vaultwarden: 'healthy', 'uptime-kuma': 'unhealthy' } }),
				['vaultwarden', 'uptime-kuma'],
				NOW,
				name,
				'f'.repeat(40)
			).level
		).toBe('bad');
		expect(overallVerdict(status({ result: 'refused' }), ['vaultwarden'], NOW).level).toBe('bad');
		expect(overallVerdict(status({ backup: { result: 'failed' } }), ['vaultwarden'], NOW).title).toBe(
			'The last backup failed.'
		);
	});
	it('pending changes compare the head with the applied commit', () => {
		expect(pendingVerdict(status(), 'a'.repeat(40)).level).toBe('ok');
		const p = pendingVerdict(status(), 'b'.repeat(40));
		expect(p.title).toContain('not applied');
		expect(p.detail).toContain('bbbbbbb');
		expect(pendingVerdict(status(), undefined).level).toBe('info');
	});
	it('explains a refusal and a rollback in plain words', () => {
		expect(syncVerdict(status())).toBeUndefined();
		expect(syncVerdict(status({ result: 'refused', lastError: 'signature' }))?.detail).toContain('signature');
		expect(syncVerdict(status({ result: 'rolled-back' }))?.title).toContain('went back');
	});
	it('disk usage levels', () => {
		expect(diskVerdict(status())).toMatchObject({ level: 'ok', percent: 50 });
		expect(diskVerdict(status({ disk: { data: { usedBytes: 85, totalBytes: 100 } } }))?.level).toBe('warn');
		expect(diskVerdict(status({ disk: { data: { usedBytes: 99, totalBytes: 100 } } }))?.level).toBe('bad');
		expect(diskVerdict(status({ disk: undefined }))).toBeUndefined();
	});
	it('formats sizes and ages', () => {
		expect(formatBytes(512)).toBe('512 bytes');
		expect(formatBytes(1_500_000)).toBe('1.5 MB');
		expect(formatAge(30_000)).toBe('just now');
		expect(formatAge(60_000)).toBe('1 minute ago');
		expect(formatAge(3 * 86_400_000)).toBe('3 days ago');
	});
});

describe('status cache', () => {
	it('keeps the last status per deployment and drops unreadable records', async () => {
		const records = memoryRecords();
		const cache = vaultStatusCache(records);
		await cache.save({ version: 1, deploymentId: 'abc', status: status(), fetchedAt: NOW, head: 'a'.repeat(40) });
		expect((await cache.load('abc'))?.status.apps.vaultwarden).toBe('healthy');
		expect(await cache.load('other')).toBeUndefined();
		// A tampered record (here: hostile app text) is parsed again on the way out.
		const tamper = (value: unknown) => records.data.set(recordName('dashboardStatus', 'abc'), JSON.stringify(value));
		tamper({
			version: 1,
			deploymentId: 'abc',
			fetchedAt: NOW,
			status: { ...base, apps: { vaultwarden: '<script>x</script>\u0007'.repeat(100) } }
		});
		const back = await cache.load('abc');
		expect(back?.status.apps.vaultwarden?.length).toBeLessThanOrEqual(121);
		expect(back?.status.apps.vaultwarden).not.toContain('\u0007');
		tamper({ version: 1, deploymentId: 'abc', fetchedAt: NOW, status: { version: 9 } });
		expect(await cache.load('abc')).toBeUndefined();
	});
});
