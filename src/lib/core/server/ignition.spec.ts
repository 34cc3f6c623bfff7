import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'fflate';
import { dataUrl, gzipDataUrl } from './ignition.ts';

/** What Ignition does with a data URL: the bytes it stands for. */
function decode(url: string): Uint8Array {
	const b64 = url.startsWith('data:;base64,');
	const body = url.slice(b64 ? 'data:;base64,'.length : 'data:,'.length);
	if (b64) return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
	expect(body).toMatch(/^(?:[A-Za-z0-9\-_.!~*'()/:;=?@]|%[0-9A-F]{2})*$/);
	const out: number[] = [];
	for (let i = 0; i < body.length; i++)
		if (body[i] === '%') {
			out.push(parseInt(body.slice(i + 1, i + 3), 16));
			i += 2;
		} else out.push(body.charCodeAt(i));
	return Uint8Array.from(out);
}

function text(bytes: Uint8Array): string {
	return new TextDecoder().decode(bytes);
}

describe('data URLs', () => {
	const samples = [
		'',
		'plain words',
		'# a file\nKEY=value with spaces\n',
		'ünïcödé 日本 😀',
		'%%%%%%%%%%',
		'\u0000\u0001\u007f',
		Array.from({ length: 300 }, (_, i) => String.fromCharCode(i % 256)).join('')
	];

	it('give back the same text, in the shorter of the two encodings', () => {
		for (const s of samples) {
			const url = dataUrl(s);
			expect(text(decode(url))).toBe(s);
			const bytes = new TextEncoder().encode(s);
			const b64 = 'data:;base64,'.length + 4 * Math.ceil(bytes.length / 3);
			expect(url.length).toBeLessThanOrEqual(b64);
		}
	});

	it('gzip large text, and give the same answer every time', () => {
		const big = 'echo "the same line again"\n'.repeat(200);
		const a = gzipDataUrl(big);
		expect(a.compression).toBe('gzip');
		expect(text(gunzipSync(decode(a.source)))).toBe(big);
		expect(gzipDataUrl(big)).toEqual(a);
		const small = gzipDataUrl('x=1\n');
		expect(small.compression).toBeUndefined();
		expect(text(decode(small.source))).toBe('x=1\n');
	});
});
