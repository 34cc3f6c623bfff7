import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allHealthy, parseServerStatus, StatusFormatError } from './status.ts';

const base = {
	version: 1,
	commit: 'a'.repeat(40),
	appliedAt: '2026-11-25T10:00:00Z',
	checkedAt: '2026-11-25T10:01:00Z',
	result: 'ok',
	lastError: null,
	apps: { vaultwarden: 'healthy', immich: 'not answering (502)' },
	os: { version: '4152.2.0', update: 'UPDATE_STATUS_IDLE', rebootWindow: 'Sun 04:00, 1h' },
	backup: {
		result: 'ok',
		lastSuccess: '2026-11-25T03:00:00Z',
		sizeBytes: 1234,
		snapshots: [{ id: 'abcdef12', time: '2026-11-25T03:00:00Z', sizeBytes: 99 }]
	},
	disk: { data: { usedBytes: 10, totalBytes: 100 } },
	requests: {
		backup: { id: 'b-1', state: 'done', at: '2026-11-25T10:00:00Z' },
		drill: { id: 'd-1', state: 'failed', error: 'no snapshot', files: 0 }
	},
	restore: { state: 'done', snapshot: 'abcdef12', steps: [{ name: 'Restore files', state: 'done' }] },
	identity: 'age1' + 'q'.repeat(58)
};

describe('parseServerStatus', () => {
	it('keeps every known field of a well-formed report', () => {
		const s = parseServerStatus(JSON.stringify(base));
		expect(s.commit).toBe('a'.repeat(40));
		expect(s.apps).toEqual(base.apps);
		expect(s.os.rebootWindow).toBe('Sun 04:00, 1h');
		expect(s.backup?.snapshots).toEqual(base.backup.snapshots);
		expect(s.disk?.data).toEqual({ usedBytes: 10, totalBytes: 100 });
		expect(s.requests?.backup).toEqual(base.requests.backup);
		expect(s.requests?.drill).toEqual({ id: 'd-1', state: 'failed', error: 'no snapshot', files: 0 });
		expect(s.restore?.steps).toEqual([{ name: 'Restore files', state: 'done' }]);
		expect(s.identity).toBe(base.identity);
	});

	it('keeps the note that the data volume came late, as plain text', () => {
		const note =
			'the data volume was not there when the server started (first missed at 2026-11-25T09:58:00Z); it was mounted at 2026-11-25T10:00:00Z';
		expect(parseServerStatus({ ...base, dataVolume: note }).dataVolume).toBe(note);
		expect(parseServerStatus(base).dataVolume).toBeUndefined();
		expect(parseServerStatus({ ...base, dataVolume: 7 }).dataVolume).toBeUndefined();
		expect(parseServerStatus({ ...base, dataVolume: `x\u0000${'y'.repeat(600)}` }).dataVolume).toMatch(/^xy{499}…$/);
	});

	it('keeps the apps that did not start with the applied commit, and what runs instead', () => {
		const failed = {
			vikunja: { from: '', reason: 'not answering (502)', commit: 'a'.repeat(40), at: '2026-12-02T10:00:00Z' },
			miniflux: { from: 'b'.repeat(40), reason: 'unhealthy' },
			'<b>': { from: '', reason: 'x' },
			ghost: { from: '../etc', reason: 'y' },
			memos: 'stopped'
		};
		expect(parseServerStatus({ ...base, result: 'partial', failedApps: failed }).failedApps).toEqual({
			vikunja: failed.vikunja,
			miniflux: failed.miniflux
		});
		expect(parseServerStatus({ ...base, failedApps: { ghost: { from: 7 } } }).failedApps).toBeUndefined();
		expect(parseServerStatus(base).failedApps).toBeUndefined();
	});

	it('reads the minimal report an older server writes', () => {
		const s = parseServerStatus({ version: 1, checkedAt: '2026-11-25T10:01:00Z' });
		expect(s).toMatchObject({ commit: null, appliedAt: null, result: 'unknown', apps: {}, backup: null });
	});

	it('refuses what is not a status report, with a plain message', () => {
		for (const bad of ['not json', '[]', '{"version":2,"checkedAt":"2026-11-25T10:01:00Z"}', '{"version":1}']) {
			expect(() => parseServerStatus(bad)).toThrow(StatusFormatError);
		}
		expect(() => parseServerStatus('x')).toThrow(/status report could not be read/);
	});

	it('drops hostile values instead of passing them on', () => {
		const s = parseServerStatus({
			...base,
			commit: '<script>',
			apps: { '<img src=x>': 'healthy', ok: 'bad\u001b[31m\u0000news' },
			identity: 'javascript:alert(1)',
			backup: { snapshots: [{ id: '../../etc', time: 'yesterday' }], sizeBytes: -5 },
			disk: { data: { usedBytes: 'lots', totalBytes: 1 } },
			requests: { backup: { id: 'x y', state: 'done' } },
			restore: { state: 'exploded' }
		});
		expect(s.commit).toBeNull();
		expect(s.apps).toEqual({ ok: 'bad[31mnews' });
		expect(s.identity).toBeUndefined();
		expect(s.backup).toEqual({ snapshots: [] });
		expect(s.disk).toBeUndefined();
		expect(s.requests).toEqual({});
		expect(s.restore).toBeUndefined();
	});

	it('never throws anything but StatusFormatError on arbitrary JSON', () => {
		fc.assert(
			fc.property(fc.jsonValue(), (v) => {
				try {
					parseServerStatus(v);
				} catch (e) {
					expect(e).toBeInstanceOf(StatusFormatError);
				}
			}),
			{ numRuns: 300 }
		);
	});
});

describe('allHealthy', () => {
	it('needs every listed app to be healthy', () => {
		const s = parseServerStatus(base);
		expect(allHealthy(s, ['vaultwarden'])).toBe(true);
		expect(allHealthy(s, ['vaultwarden', 'immich'])).toBe(false);
		expect(allHealthy(s, ['missing'])).toBe(false);
	});
});
