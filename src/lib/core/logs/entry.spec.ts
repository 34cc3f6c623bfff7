import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appForContainer, cleanText, fieldText, MAX_TEXT, parseLevel, parseTime, toLogLine } from './entry.ts';

// Nothing that a terminal, the DOM or the bidi algorithm would treat as other than text.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

const hostile = fc.oneof(
	fc.string({ unit: 'binary', maxLength: 300 }),
	fc.string({
		unit: fc.constantFrom(
			'\u001b',
			'[',
			']',
			'0',
			'1',
			';',
			'm',
			'H',
			'\u0007',
			'\\',
			'P',
			'a',
			'\u009b',
			'\u009d',
			'\u202e',
			'\n',
			'\r',
			'\t',
			'<',
			'>',
			'&'
		),
		maxLength: 200
	}),
	fc.constantFrom(
		'<script>alert(1)</script>',
		'<img src=x onerror=alert(1)>',
		'\u001b[31mred\u001b[0m text',
		'\u001b]8;;http://evil.example\u0007link\u001b]8;;\u0007',
		'\u001b]0;title\u001b\\after',
		'abc\u202edcba',
		'\u001bP+q\u001b\\ok'
	)
);

describe('log line text', () => {
	it('strips colours, hyperlinks, titles and control characters, keeps the words', () => {
		expect(cleanText('\u001b[1;31mError:\u001b[0m disk full')).toBe('Error: disk full');
		expect(cleanText('\u001b]8;;http://evil.example\u0007click\u001b]8;;\u0007 here')).toBe('click here');
		expect(cleanText('\u001b]0;owned\u001b\\after')).toBe('after');
		expect(cleanText('line one\nline two\ttabbed\r')).toBe('line one line two tabbed');
		expect(cleanText('a\u0000b\u0008c\u007fd\u0085e')).toBe('abcde');
		expect(cleanText('safe\u202etxt.exe')).toBe('safetxt.exe');
		expect(cleanText('<script>alert(1)</script>')).toBe('<script>alert(1)</script>');
		expect(cleanText('x'.repeat(MAX_TEXT + 10)).length).toBe(MAX_TEXT);
		expect(cleanText('x'.repeat(MAX_TEXT + 10)).endsWith('…')).toBe(true);
	});

	it('is plain, bounded and stable on any input (property)', () => {
		fc.assert(
			fc.property(hostile, (raw) => {
				const t = cleanText(raw);
				expect(UNSAFE.test(t)).toBe(false);
				expect(t.length).toBeLessThanOrEqual(MAX_TEXT);
				expect(cleanText(t)).toBe(t);
				// No lone surrogates: the text encodes and decodes to itself.
				expect(new TextDecoder().decode(new TextEncoder().encode(t))).toBe(t);
			}),
			{ numRuns: 2000 }
		);
	});

	it('reads binary messages (arrays of bytes) as UTF-8, replacing what is not', () => {
		const bytes = [...new TextEncoder().encode('héllo \u001b[32mok')];
		expect(cleanText(fieldText(bytes))).toBe('héllo ok');
		expect(cleanText(fieldText([0xff, 0xfe, 0x41, 0x00, 0x42]))).toBe('\ufffd\ufffdAB');
		expect(fieldText([300, -1, 'x', 65])).toBe('???A');
		expect(fieldText(['first', 'second'])).toBe('first');
		expect(fieldText({ toString: () => 'no' })).toBe('');
	});

	it('reads priorities and timestamps, with defaults for anything odd', () => {
		expect(parseLevel('3')).toBe(3);
		expect(parseLevel('9')).toBe(6);
		expect(parseLevel(undefined)).toBe(6);
		expect(parseLevel(['4'])).toBe(4);
		expect(parseTime('1764028800123456')).toBe(1764028800123);
		expect(parseTime('-5')).toBe(0);
		expect(parseTime('1e30')).toBe(0);
	});
});

describe('apps from container names', () => {
	it('follows the generator: project nassella, services named after their app', () => {
		expect(appForContainer('nassella-vaultwarden-1')).toBe('vaultwarden');
		expect(appForContainer('/nassella-immich-server-1', ['immich'])).toBe('immich');
		expect(appForContainer('nassella-paperless-ngx-db-1', ['paperless', 'paperless-ngx'])).toBe('paperless-ngx');
		expect(appForContainer('nassella-paperless-web-2', ['paperless', 'paperless-ngx'])).toBe('paperless');
		expect(appForContainer('nassella-caddy-1', ['vaultwarden'])).toBe('caddy');
		expect(appForContainer('other-thing')).toBe('other-thing');
	});
});

describe('journal entries to log lines', () => {
	it('maps a container entry and a unit entry', () => {
		const c = toLogLine(
			{
				__CURSOR: 's=ab;i=1;b=cd;m=1;t=2;x=3',
				__REALTIME_TIMESTAMP: '1764028800000000',
				PRIORITY: '3',
				MESSAGE: '\u001b[31m<b>boom</b>\u001b[0m',
				_SYSTEMD_UNIT: 'docker.service',
				CONTAINER_NAME: 'nassella-nextcloud-db-1',
				SYSLOG_IDENTIFIER: 'abc123'
			},
			['nextcloud']
		);
		expect(c).toEqual({
			cursor: 's=ab;i=1;b=cd;m=1;t=2;x=3',
			time: 1764028800000,
			level: 3,
			app: 'nextcloud',
			unit: 'nassella-nextcloud-db-1',
			text: '<b>boom</b>'
		});
		const u = toLogLine({ __CURSOR: 'x', MESSAGE: 'applied', _SYSTEMD_UNIT: 'nassella-sync.service' });
		expect(u).toMatchObject({ app: '', unit: 'nassella-sync.service', level: 6, time: 0 });
		expect(toLogLine({ MESSAGE: 'k', SYSLOG_IDENTIFIER: 'kernel' })?.unit).toBe('kernel');
		expect(toLogLine(null)).toBeUndefined();
		expect(toLogLine([1])).toBeUndefined();
		expect(toLogLine({ __CURSOR: 'a\nb c' })?.cursor).toBe('');
	});

	it('never throws and keeps every field bounded and plain, whatever the entry (property)', () => {
		const field = fc.oneof(hostile, fc.array(fc.integer({ min: -5, max: 400 }), { maxLength: 50 }), fc.anything());
		fc.assert(
			fc.property(
				fc.record(
					{
						__CURSOR: field,
						__REALTIME_TIMESTAMP: field,
						PRIORITY: field,
						MESSAGE: field,
						_SYSTEMD_UNIT: field,
						CONTAINER_NAME: field,
						SYSLOG_IDENTIFIER: field
					},
					{ requiredKeys: [] }
				),
				(entry) => {
					const l = toLogLine(entry)!;
					expect(l).toBeDefined();
					for (const s of [l.app, l.unit, l.text, l.cursor]) expect(UNSAFE.test(s)).toBe(false);
					expect(l.text.length).toBeLessThanOrEqual(MAX_TEXT);
					expect(l.unit.length).toBeLessThanOrEqual(128);
					expect(l.level).toBeGreaterThanOrEqual(0);
					expect(l.level).toBeLessThanOrEqual(7);
					expect(Number.isFinite(l.time)).toBe(true);
				}
			),
			{ numRuns: 1000 }
		);
	});
});
