import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../catalog/load.ts';
import { resolveServices, resolveCommands, resolveString, stringsIn } from '../../src/lib/core/catalog/placeholders.ts';
import { isPinnedImage } from '../../src/lib/core/catalog/check.ts';
import { composeValidator, contextFor } from './helpers.ts';

const catalog = loadCatalog();
const validateCompose = composeValidator();

describe('the catalog', () => {
	it('loads with no problems (schema, cross-field rules, icons, clashes)', () => {
		expect(catalog.problems).toEqual([]);
		expect(catalog.apps.length).toBeGreaterThanOrEqual(3);
	});

	describe.each(catalog.apps.map((a) => [a.id, a] as const))('%s', (_id, app) => {
		it('renders to Compose services that validate against the Compose spec, with and without SMTP', () => {
			for (const smtp of [true, false]) {
				const services = resolveServices(app, contextFor(app, 'example.org', smtp));
				const doc = { services, networks: {} };
				const ok = validateCompose(doc);
				expect(validateCompose.errors ?? [], JSON.stringify(validateCompose.errors)).toEqual([]);
				expect(ok).toBe(true);
				for (const str of stringsIn(services)) expect(str).not.toMatch(/\{\{|\}\}/);
			}
		});
		it('pins every image to an exact version', () => {
			for (const s of Object.values(app.services)) expect(isPinnedImage(s.image), s.image).toBe(true);
		});
		it('has an icon, memory and disk figures, a health check and backup information', () => {
			expect(app.iconSvg).toMatch(/^<svg/);
			expect(app.resources.ramMinMiB).toBeGreaterThan(0);
			expect(app.resources.ramRecommendedMiB).toBeGreaterThanOrEqual(app.resources.ramMinMiB);
			expect(app.resources.diskMiB).toBeGreaterThan(0);
			expect(app.health.path).toMatch(/^\//);
			const b = app.backup;
			expect(b.dumps.length > 0 || b.stopDuringBackup === true || b.notes !== undefined).toBe(true);
			if (b.dumps.length > 0) expect(b.restore.length).toBeGreaterThan(0);
			const ctx = contextFor(app);
			for (const c of [...resolveCommands(app, 'dumps', ctx), ...resolveCommands(app, 'restore', ctx)]) {
				expect(c.command.join(' ')).not.toMatch(/\{\{/);
			}
		});
		it('resolves for a generator that escapes for its own targets (escapeDollar: false), backup hooks included', () => {
			const ctx = contextFor(app);
			const values = [...stringsIn(app.services), ...stringsIn(app.smtp?.environment ?? {}), ...stringsIn(app.backup)];
			for (const v of values) expect(() => resolveString(v, app, ctx, { escapeDollar: false }), v).not.toThrow();
		});
		it('dumps and restores every SQL database it runs, and leaves the live database files out of backups', () => {
			for (const [name, s] of Object.entries(app.services)) {
				if (!/(^|\/)(postgres|mariadb|mysql):/.test(s.image)) continue;
				expect(
					app.backup.dumps.some((d) => d.service === name),
					`${name} is dumped`
				).toBe(true);
				expect(
					app.backup.restore.some((d) => d.service === name),
					`${name} is restored`
				).toBe(true);
				for (const v of s.volumes ?? []) {
					const dir = v.split(':')[0]!.replace('{{data}}/', '');
					expect(app.backup.exclude, `${dir} excluded`).toContain(dir);
				}
			}
		});
		it('restores its databases so that any error stops the restore: a partial restore never looks like success', () => {
			for (const c of resolveCommands(app, 'restore', contextFor(app))) {
				const text = c.command.join(' ');
				if (/\bpsql\b/.test(text)) expect(text, text).toMatch(/ON_ERROR_STOP=(1|on)\b/);
				expect(text, text).not.toMatch(/ON_ERROR_STOP=(0|off)\b|--force\b/);
			}
		});
		it('keeps every volume inside its own data directory', () => {
			const services = resolveServices(app, contextFor(app));
			for (const s of Object.values(services)) {
				for (const v of s.volumes ?? []) expect(v.startsWith(`/srv/nassella/apps/${app.id}/`), v).toBe(true);
			}
		});
	});
});

describe('all apps together', () => {
	const REQUIRED = [
		'nextcloud',
		'vaultwarden',
		'immich',
		'jellyfin',
		'forgejo',
		'paperless-ngx',
		'uptime-kuma',
		'umami',
		'ghost',
		'wordpress',
		'miniflux',
		'freshrss',
		'audiobookshelf',
		'navidrome',
		'actual-budget',
		'mealie',
		'hedgedoc',
		'bookstack',
		'linkding',
		'stirling-pdf',
		'excalidraw',
		'memos',
		'wallabag',
		'radicale',
		'ntfy',
		'vikunja',
		'joplin-server',
		'conduit',
		'pocket-id',
		'gotify'
	];
	it('has every app the catalog promises', () => {
		expect(catalog.apps.map((a) => a.id).sort()).toEqual([...REQUIRED].sort());
	});
	it('render into one Compose file with no clash of service names, subdomains, volumes or ports', () => {
		const services: Record<string, unknown> = {};
		const hostDirs = new Map<string, string>();
		const subdomains = new Set<string>();
		const endpoints = new Set<string>();
		for (const app of catalog.apps) {
			for (const [name, s] of Object.entries(resolveServices(app, contextFor(app)))) {
				expect(services[name], `service ${name}`).toBeUndefined();
				services[name] = s;
				for (const v of s.volumes ?? []) {
					const dir = v.split(':')[0]!;
					const owner = hostDirs.get(dir);
					expect(owner === undefined || owner === app.id, `${dir} shared by ${owner} and ${app.id}`).toBe(true);
					hostDirs.set(dir, app.id);
				}
			}
			for (const e of app.entrypoints) {
				expect(subdomains.has(e.subdomain), `subdomain ${e.subdomain}`).toBe(false);
				subdomains.add(e.subdomain);
				// Nothing is published on the host: each entrypoint is a distinct service:port inside the app's network.
				expect(endpoints.has(`${e.service}:${e.port}`)).toBe(false);
				endpoints.add(`${e.service}:${e.port}`);
			}
		}
		expect(validateCompose({ services })).toBe(true);
		expect(Object.values(services).some((s) => 'ports' in (s as object))).toBe(false);
	});
});
