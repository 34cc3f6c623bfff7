/**
 * First-start safety: a new server's name is in public certificate logs within minutes, so no
 * app may let its first visitor create the admin account, keep a published default login, or
 * take public sign-ups unless the person opens them. Each app says how it is safe
 * (`firstStart`); these tests hold it to that, and to what upstream is known to do.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../catalog/load.ts';
import { checkManifest } from '../../src/lib/core/catalog/check.ts';
import type { AppManifest } from '../../src/lib/core/catalog/types.ts';
import { stringsIn } from '../../src/lib/core/catalog/placeholders.ts';

const catalog = loadCatalog();

/** Apps whose upstream lets the first visitor create the admin account (or the first account admin). */
const FIRST_VISITOR_BECOMES_ADMIN = [
	'actual-budget',
	'audiobookshelf',
	'forgejo',
	'freshrss',
	'ghost',
	'immich',
	'jellyfin',
	'memos',
	'navidrome',
	'pocket-id',
	'uptime-kuma',
	'wordpress'
];
/** Apps whose upstream starts with a published default login. */
const PUBLISHED_DEFAULT_LOGINS: Record<string, { user: string; password: string }> = {
	bookstack: { user: 'admin@admin.com', password: 'password' },
	'joplin-server': { user: 'admin@localhost', password: 'admin' },
	mealie: { user: 'changeme@example.com', password: 'MyPassword' },
	umami: { user: 'admin', password: 'umami' },
	wallabag: { user: 'wallabag', password: 'wallabag' }
};

/** Why an app is open to whoever comes first (empty when it is not). */
function firstVisitorProblems(app: AppManifest): string[] {
	const out: string[] = [];
	const fs = app.firstStart;
	if (!fs) return ['no firstStart'];
	const services = JSON.stringify(app.services);
	if (FIRST_VISITOR_BECOMES_ADMIN.includes(app.id) && fs.kind !== 'setup-gate' && fs.kind !== 'generated-admin')
		out.push(`its first visitor becomes the admin, but it is "${fs.kind}" without a setup gate`);
	const published = PUBLISHED_DEFAULT_LOGINS[app.id];
	if (published) {
		const replaced = fs.kind === 'generated-admin';
		const gated = fs.kind === 'setup-gate' && fs.defaultLogin?.password === published.password;
		if (!replaced && !gated) out.push('its published default login is left in place without a setup gate');
	}
	if (fs.defaultLogin && fs.kind !== 'setup-gate') out.push('a default login without a setup gate');
	if (fs.kind === 'generated-admin') {
		const secret = fs.login?.secret ?? '';
		const derived = app.secrets.filter((s) => s.bcryptOf === secret).map((s) => s.id);
		if (![secret, ...derived].some((id) => services.includes(`{{secret.${id}}}`)))
			out.push(`its generated admin password "${secret}" never reaches the app`);
	}
	if (fs.kind === 'signup-off' && !fs.login) out.push('sign-ups are off, but nothing lets the person in');
	for (const s of fs.signups ?? []) {
		const input = app.inputs.find((i) => i.id === s.input);
		if (input?.default !== s.closed) out.push(`"${s.input}" opens public sign-ups by default`);
	}
	// An input that opens sign-ups must be declared as such, so its default is checked.
	for (const i of app.inputs)
		if (
			/sign.?up|regist/i.test(`${i.id} ${i.label}`) &&
			!fs.signups?.some((s) => s.input === i.id) &&
			app.id !== 'conduit'
		)
			out.push(`"${i.id}" looks like a sign-up switch that firstStart.signups does not list`);
	return out;
}

describe.each(catalog.apps.map((a) => [a.id, a] as const))('%s first start', (_id, app) => {
	it('is safe from its first minute: no first-visitor admin without a gate, no default password left in place', () => {
		expect(firstVisitorProblems(app)).toEqual([]);
	});
	it('names no published default password outside its setup gate, in what the person reads', () => {
		const published = PUBLISHED_DEFAULT_LOGINS[app.id];
		if (published) {
			expect(app.firstStart.kind).toBe('setup-gate');
			expect(app.firstStart.defaultLogin).toEqual(published);
			expect(app.firstLogin).toMatch(/setup password/);
		}
	});
	it('keeps public sign-ups off by default', () => {
		for (const s of app.firstStart.signups ?? [])
			expect(app.inputs.find((i) => i.id === s.input)?.default, s.input).toBe(s.closed);
	});
});

describe('the first-start test itself', () => {
	const immich = catalog.apps.find((a) => a.id === 'immich')!;
	const bookstack = catalog.apps.find((a) => a.id === 'bookstack')!;
	const vaultwarden = catalog.apps.find((a) => a.id === 'vaultwarden')!;
	it('fails for an app whose first account is open to the first visitor without a gate', () => {
		const open = { ...immich, firstStart: { kind: 'no-accounts', how: 'It has no accounts, it says.' } } as AppManifest;
		expect(firstVisitorProblems(open)).not.toEqual([]);
	});
	it('fails for an app that keeps a published default password without the gate', () => {
		const fs = { kind: 'signup-off' as const, how: bookstack.firstStart.how, login: { secret: 'app_key' } };
		expect(firstVisitorProblems({ ...bookstack, firstStart: fs })).not.toEqual([]);
		expect(
			checkManifest({ ...bookstack, firstStart: { ...fs, defaultLogin: bookstack.firstStart.defaultLogin } })
		).toContain(
			'firstStart: a published default login is allowed only behind the setup gate, where the person replaces it'
		);
	});
	it('fails for sign-ups open by default', () => {
		const inputs = vaultwarden.inputs.map((i) => (i.id === 'signups_allowed' ? { ...i, default: 'true' } : i));
		expect(firstVisitorProblems({ ...vaultwarden, inputs })).toEqual([
			'"signups_allowed" opens public sign-ups by default'
		]);
		expect(checkManifest({ ...vaultwarden, inputs }).join('\n')).toMatch(/signups_allowed" must default to "false"/);
	});
	it('fails for a generated admin whose password never reaches the app', () => {
		const nextcloud = catalog.apps.find((a) => a.id === 'nextcloud')!;
		const env = { ...nextcloud.services.nextcloud!.environment };
		delete env.NEXTCLOUD_ADMIN_PASSWORD;
		const broken = {
			...nextcloud,
			services: { ...nextcloud.services, nextcloud: { ...nextcloud.services.nextcloud!, environment: env } }
		};
		expect(firstVisitorProblems(broken)).toEqual([
			'its generated admin password "admin_password" never reaches the app'
		]);
	});
});

describe('what the catalog tells the person', () => {
	it('never prints a setup or generated password: the dashboard reveals them from the vault', () => {
		for (const app of catalog.apps)
			for (const text of [app.firstLogin, app.firstStart.how, ...stringsIn(app.services)])
				expect(text).not.toMatch(/setup_password|setup_cookie/);
	});
});
