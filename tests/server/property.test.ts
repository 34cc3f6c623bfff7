/**
 * Hostile values (line breaks, quotes, $, %, braces, #, backslashes, NUL, unicode, very
 * long) in domains, app inputs and secrets: every output still reads back as exactly the
 * intended value and validates, or rendering refuses with a clear message.
 *
 * A small synthetic app (typed as a catalog manifest) carries the values into every place
 * a catalog value can go: environment (plain and secret), a command, and a backup hook.
 * Env files are read back after real age decryption is replaced by the identity function
 * (encryption is proven in the sync test); hooks are read back by running bash.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import { fixture, run } from './helpers.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { composeUnescape } from '../../src/lib/core/server/compose.ts';
import { parseComposeEnv } from '../../src/lib/core/server/envfile.ts';
import { parseDomain, DomainError } from '../../src/lib/core/model/domain.ts';
import { ConfigError } from '../../src/lib/core/model/config.ts';
import { RenderError } from '../../src/lib/core/server/app.ts';
import { CatalogError } from '../../src/lib/core/catalog/placeholders.ts';
import { validators } from '../../src/cli/validate.ts';
import { shellQuote } from '../../src/lib/core/server/hooks.ts';
import type { AppManifest } from '../../src/lib/core/catalog/types.ts';

const PIECES = [
	'\n',
	'\r',
	"'",
	'"',
	'$',
	'$$',
	'${X}',
	'$(id)',
	'`id`',
	'%',
	'%n',
	'{',
	'}',
	'{{',
	'}}',
	'{{secret.pw}}',
	'#',
	'\\',
	'\u0000',
	'\t',
	'é',
	'🙂',
	':',
	'- ',
	'&a',
	'*a',
	'!!str',
	'null',
	'0x1',
	' ',
	';',
	'|',
	'\u2028',
	'ǅ',
	'\uFEFF'
];
const hostile = fc.oneof(
	fc
		.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 12 })
		.map((a) => a.join('')),
	fc.string({ unit: 'binary', maxLength: 40 }),
	fc.constantFrom('x'.repeat(70_000), '$'.repeat(5000), '\n'.repeat(3))
);

const APP: AppManifest = {
	manifestVersion: 1,
	id: 'probe',
	name: 'Probe',
	tagline: 't',
	description: 'd',
	category: 'productivity',
	icon: 'icon.svg',
	website: 'https://example.org',
	source: 'https://example.org',
	license: 'MIT',
	version: '1.0.0',
	architectures: ['amd64'],
	entrypoints: [{ id: 'main', service: 'probe', port: 8080, subdomain: 'probe' }],
	health: { entrypoint: 'main', path: '/' },
	resources: {
		ramMinMiB: 64,
		ramRecommendedMiB: 128,
		diskMiB: 100,
		memoryLimitsMiB: { probe: 128 },
		sources: [{ url: 'https://example.org/', says: 'a made-up app for the property tests' }]
	},
	secrets: [{ id: 'pw', length: 20, alphabet: 'alphanumeric', description: 'a password' }],
	inputs: [{ id: 'title', type: 'text', label: 'Title', help: 'h' }],
	backup: {
		dumps: [{ service: 'probe', command: ['dump', '{{input.title}}'], file: 'dump/x.sql' }],
		restore: [],
		exclude: []
	},
	firstLogin: 'f',
	firstStart: { kind: 'no-accounts', how: 'a made-up app for the property tests' },
	services: {
		probe: {
			image: 'example/probe:1.0.0',
			command: ['serve', '--title', '{{input.title}}', '--password', 'pw={{secret.pw}}'],
			environment: { TITLE: '{{input.title}}', PASSWORD: '{{secret.pw}}', URL: '{{url.main}}' }
		}
	}
};

const identity = async (plaintext: string) => plaintext;

function deployment(mut: (d: { config: Record<string, unknown>; secrets: Record<string, unknown> }) => void) {
	const d = fixture('one-app');
	d.config.apps = [{ id: 'probe', inputs: {} }];
	d.secrets.apps = { probe: { pw: 'Password123' } };
	mut(d);
	return d;
}

const clear = (e: unknown) =>
	(e instanceof RenderError || e instanceof ConfigError || e instanceof CatalogError || e instanceof DomainError) &&
	e.message.length > 0 &&
	e.message.length < 2000;

describe('hostile values', { timeout: 120_000 }, () => {
	it('domains: refused clearly, or written as lowercase LDH punycode within DNS limits', () => {
		fc.assert(
			fc.property(hostile, (raw) => {
				try {
					const { ascii } = parseDomain(raw);
					expect(ascii.length).toBeLessThanOrEqual(253);
					expect(ascii).toMatch(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/);
				} catch (e) {
					expect(clear(e), String(e)).toBe(true);
					// eslint-disable-next-line no-control-regex
					expect((e as Error).message).not.toMatch(/[\n\r\u0000]/);
				}
			}),
			{ numRuns: 400 }
		);
		expect(parseDomain('Bücher.Example.ORG').ascii).toBe('xn--bcher-kva.example.org');
		expect(parseDomain('xn--bcher-kva.example.org').unicode).toBe('bücher.example.org');
		for (const bad of [
			'127.0.0.1',
			'[::1]',
			'0x7f.1',
			'a..b',
			'-a.org',
			'a-.org',
			`${'a'.repeat(64)}.org`,
			'exa mple.org',
			'a.b/c',
			'localhost',
			'ab--c.org'
		])
			expect(() => parseDomain(bad), bad).toThrow(DomainError);
	});

	it('a hostile domain in the config: refused, or every host in the Caddyfile is a plain token', async () => {
		await fc.assert(
			fc.asyncProperty(hostile, async (raw) => {
				try {
					const r = await renderServer(
						deployment((d) => (d.config.domain = raw)),
						[APP],
						{ encrypt: identity }
					);
					const caddy = r.files.find((f) => f.path === 'Caddyfile')!.contents;
					const host = `probe.${parseDomain(raw).ascii}`;
					expect(caddy.split('\n')).toContain(`${host} {`);
				} catch (e) {
					expect(clear(e), String(e)).toBe(true);
				}
			}),
			{ numRuns: 150 }
		);
	});

	it('inputs and secrets: compose, env file and hook read back exactly, or rendering refuses clearly', async () => {
		let rendered = 0;
		await fc.assert(
			fc.asyncProperty(hostile, hostile, async (title, secret) => {
				let r;
				try {
					r = await renderServer(
						deployment((d) => {
							d.config.apps = [{ id: 'probe', inputs: { title } }];
							d.secrets.apps = { probe: { pw: secret } };
						}),
						[APP],
						{ encrypt: identity }
					);
				} catch (e) {
					expect(clear(e), String(e)).toBe(true);
					expect((e as Error).message).not.toContain(secret.length >= 12 ? secret : '\u0000never');
					return;
				}
				rendered++;
				const composeText = r.files.find((f) => f.path === 'docker-compose.yml')!.contents;
				const doc = parse(composeText);
				expect(validators().compose(doc)).toBe(true);
				const svc = doc.services.probe;
				expect(composeUnescape(svc.environment.TITLE)).toBe(title);
				expect(composeUnescape(svc.command[2])).toBe(title);
				expect(svc.environment.PASSWORD).toBeUndefined();
				// The secret has no influence at all on docker-compose.yml.
				const benign = await renderServer(
					deployment((d) => {
						d.config.apps = [{ id: 'probe', inputs: { title } }];
						d.secrets.apps = { probe: { pw: 'Password123' } };
					}),
					[APP],
					{ encrypt: identity }
				);
				expect(composeText).toBe(benign.files.find((f) => f.path === 'docker-compose.yml')!.contents);
				// Compose interpolation: every `$` is doubled, so no variable can be formed.
				expect(svc.environment.TITLE.replace(/\$\$/g, '')).not.toContain('$');
				const env = parseComposeEnv(r.files.find((f) => f.path === 'env/probe.env.age')!.contents);
				expect(env.PASSWORD).toBe(secret);
				// A secret in a command is a Compose variable whose value is only in the encrypted compose.env.
				expect(svc.command[4]).toBe('pw=${NASSELLA_PROBE_PW}');
				const interp = parseComposeEnv(r.files.find((f) => f.path === 'env/compose.env.age')!.contents);
				expect(interp).toEqual({ NASSELLA_PROBE_PW: secret });
				const hook = r.files.find((f) => f.path === 'hooks/pre-backup.sh')!.contents;
				expect(hook).toContain(shellQuote(title));
			}),
			{ numRuns: 250 }
		);
		expect(rendered).toBeGreaterThan(20);
	});

	it('shell quoting: bash reads every hostile argument back unchanged', () => {
		const values: string[] = [];
		fc.assert(
			fc.property(hostile, (v) => {
				if (v.includes('\u0000') || v.length > 10_000) return;
				values.push(v);
			}),
			{ numRuns: 60 }
		);
		const script = values.map((v) => `printf '%s\\0' ${shellQuote(v)}`).join('\n');
		const r = run('bash', ['-c', script]);
		expect(r.code).toBe(0);
		expect(r.stdout.split('\u0000').slice(0, -1)).toEqual(values);
	});
});
