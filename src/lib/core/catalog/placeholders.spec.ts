import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePlaceholders, resolveString, CatalogError } from './placeholders.ts';
import { generateSecret, ensureSecrets, ALPHABETS } from './secrets.ts';
import { checkInput } from './inputs.ts';
import type { AppManifest, ResolveContext } from './types.ts';

const manifest = {
	id: 'demo',
	secrets: [{ id: 'pw', length: 20, alphabet: 'alphanumeric', description: 'x' }],
	inputs: [{ id: 'name', type: 'text', label: 'Name', help: 'h', default: 'me' }],
	entrypoints: [{ id: 'main', service: 'demo', port: 80, subdomain: 'demo', path: '/app/' }],
	smtp: { service: 'demo', environment: {}, securityValues: { starttls: 'S', tls: 'T', none: 'N' } }
} as unknown as AppManifest;
const ctx: ResolveContext = {
	secrets: { pw: 'secretvalue' },
	inputs: {},
	hosts: { main: 'demo.example.org' },
	dataDir: '/srv/data/demo/',
	timezone: 'UTC',
	smtp: { host: 'mail', port: 465, username: 'u', password: 'p', from: 'f@x.y', security: 'tls' }
};

describe('placeholders', () => {
	it('parses every kind', () => {
		expect(parsePlaceholders('{{secret.pw}}-{{data}}-{{url.main}}').map((p) => p.kind)).toEqual([
			'secret',
			'data',
			'url'
		]);
	});
	it('substitutes values', () => {
		expect(resolveString('{{data}}/x', manifest, ctx)).toBe('/srv/data/demo/x');
		expect(resolveString('{{url.main}}', manifest, ctx)).toBe('https://demo.example.org/app');
		expect(resolveString('{{host.main}}:{{input.name}}', manifest, ctx)).toBe('demo.example.org:me');
		expect(resolveString('{{smtp.security}} {{smtp.port}}', manifest, ctx)).toBe('T 465');
		expect(resolveString('{{smtp.from_local}} at {{smtp.from_domain}}', manifest, ctx)).toBe('f at x.y');
	});
	it('refuses anything unknown, with the placeholder named and no value leaked', () => {
		for (const bad of [
			'{{secret.nope}}',
			'{{input.nope}}',
			'{{host.nope}}',
			'{{smtp.nope}}',
			'{{ data }}',
			'{{HOME}}'
		]) {
			expect(() => resolveString(bad, manifest, ctx), bad).toThrow(CatalogError);
		}
	});
	it('leaves "$" alone when the caller escapes for its own target (backup commands)', () => {
		expect(
			resolveString('-p"$ROOT" {{input.name}}', manifest, { ...ctx, inputs: { name: 'a$b' } }, { escapeDollar: false })
		).toBe('-p"$ROOT" a$b');
		expect(() => resolveString('-p"$ROOT"', manifest, ctx)).toThrow(/contains "\$"/);
	});
	it('never lets a substituted value break out of its string (property)', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 40 }), (value) => {
				const c = { ...ctx, inputs: { name: value } };
				let out: string;
				try {
					out = resolveString('{{input.name}}', manifest, c);
				} catch (e) {
					expect((e as Error).message).toMatch(/line break/);
					return;
				}
				// Compose reads `$$` as a literal `$`; undoing the escape gives the value back.
				expect(out.replaceAll('$$', '$')).toBe(value);
				expect(out.replaceAll('$$', '')).not.toContain('$');
			})
		);
	});
});

describe('secrets', () => {
	it('are drawn from their alphabet with the requested length', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('alphanumeric', 'hex', 'base64url') as fc.Arbitrary<'hex'>,
				fc.integer({ min: 16, max: 128 }),
				(alphabet, length) => {
					const s = generateSecret({ alphabet, length }, (b) => crypto.getRandomValues(b));
					expect(s).toHaveLength(length);
					for (const ch of s) expect(ALPHABETS[alphabet]).toContain(ch);
				}
			)
		);
	});
	it('stay the same across renders: existing values are kept', () => {
		const first = ensureSecrets(manifest, {}, (b) => crypto.getRandomValues(b));
		const second = ensureSecrets(manifest, first, (b) => crypto.getRandomValues(b));
		expect(second).toEqual(first);
	});
	it('refuse a random source that gives nothing usable', () => {
		expect(() => generateSecret({ alphabet: 'alphanumeric', length: 16 }, (b) => b.fill(255))).toThrow(
			/too few usable bytes/
		);
	});
});

describe('inputs', () => {
	const text = {
		id: 'u',
		type: 'text',
		label: 'User',
		help: 'h',
		required: true,
		pattern: '[a-z]{3,8}',
		patternHelp: 'lower case'
	} as const;
	it('checks required, pattern, email, select and control characters', () => {
		expect(checkInput(text, '')).toBe('User is needed.');
		expect(checkInput(text, 'ABC')).toBe('lower case');
		expect(checkInput(text, 'abc')).toBeUndefined();
		expect(checkInput(text, 'ab\nc')).toMatch(/line breaks/);
		expect(checkInput({ id: 'e', type: 'email', label: 'Email', help: 'h' }, 'nope')).toMatch(/email address/);
		expect(
			checkInput({ id: 's', type: 'select', label: 'S', help: 'h', options: [{ value: 'a', label: 'A' }] }, 'b')
		).toMatch(/choose one/);
	});
});
