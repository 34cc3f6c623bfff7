import { describe, expect, it } from 'vitest';
import { relayAnswers } from './relay-check.ts';

describe('relayAnswers', () => {
	it('knows a relay by its own refusal, and anything else as not one', async () => {
		const seen: string[] = [];
		const relay = async (r: Request) => {
			seen.push(`${r.url} ${r.credentials}`);
			return Response.json({ error: 'no target' }, { status: 403 });
		};
		expect(await relayAnswers('https://relay.example.net/', relay)).toBe('relay');
		expect(seen).toEqual(['https://relay.example.net/ omit']);
		expect(await relayAnswers('https://x.example', async () => new Response('<html>', { status: 403 }))).toBe('other');
		expect(await relayAnswers('https://x.example', async () => Response.json({ error: 'x' }))).toBe('other');
	});

	it('throws when nothing answers', async () => {
		await expect(
			relayAnswers('https://x.example', async () => Promise.reject(new TypeError('fetch failed')))
		).rejects.toThrow();
	});
});
