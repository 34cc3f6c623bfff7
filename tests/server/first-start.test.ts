/**
 * The setup gate in the bundle: Caddy asks for a one-time setup password in front of apps that
 * let their first visitor take them over, until the person says setup is done. Checked with the
 * real Caddy (adapt), and for what reaches git: neither the setup password nor its hash nor the
 * cookie value is written anywhere but in the encrypted caddy.env.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalog, fixture, run } from './helpers.ts';
import { renderServer, type Encrypt } from '../../src/lib/core/server/render.ts';
import { parseComposeEnv } from '../../src/lib/core/server/envfile.ts';
import { completeAppSecrets } from '../../src/lib/core/deploy/config.ts';
import { SETUP_PREDATES_GATE } from '../../src/lib/core/catalog/first-start.ts';
import { testDerive } from '../catalog/helpers.ts';

/** Keeps the plaintext, so the test can read what would be encrypted. */
const plain: Encrypt = async (text) => `PLAINTEXT\n${text}`;
const T = mkdtempSync(join(tmpdir(), 'nassella-gate-'));

type Input = ReturnType<typeof fixture>;
const appsOf = (i: Input) => (i.config as { apps: { id: string; inputs?: Record<string, string> }[] }).apps;
const secretsOf = (i: Input) => (i.secrets as { apps: Record<string, Record<string, string>> }).apps;
const file = (r: Awaited<ReturnType<typeof renderServer>>, path: string) =>
	r.files.find((f) => f.path === path)?.contents;

function caddyAdapt(caddyfile: string, env: Record<string, string>) {
	const path = join(T, `Caddyfile-${Math.random().toString(36).slice(2)}`);
	writeFileSync(path, caddyfile);
	return run('caddy', ['adapt', '--config', path, '--adapter', 'caddyfile'], {
		env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: T, ...env }
	});
}

describe('the setup gate in the bundle', () => {
	it('puts every app that lets its first visitor in behind the gate, with the hash only in caddy.env', async () => {
		const input = fixture('all-apps');
		const r = await renderServer(input, catalog(), { encrypt: plain });
		const gated = catalog()
			.filter((m) => m.firstStart.kind === 'setup-gate')
			.map((m) => m.id);
		expect(r.apps.filter((a) => a.gate).map((a) => a.id)).toEqual(gated);
		const caddyfile = file(r, 'Caddyfile')!;
		const env = parseComposeEnv(file(r, 'env/caddy.env.age')!.replace(/^PLAINTEXT\n/, ''));
		// The admin password's hash is sealed too: no bcrypt hash is in the Caddyfile (it is in git).
		expect(env.NASSELLA_ADMIN_HASH).toBe((input.config as { admin: { passwordHash: string } }).admin.passwordHash);
		expect(caddyfile).toContain('{$NASSELLA_ADMIN_HASH}');
		expect(caddyfile).not.toMatch(/\$2[aby]\$/);
		for (const id of gated) {
			const s = secretsOf(input)[id]!;
			const app = r.apps.find((a) => a.id === id)!;
			expect(env[app.gate!.hashVariable]).toBe(s.setup_password_bcrypt);
			expect(env[app.gate!.tokenVariable]).toBe(s.setup_cookie);
			expect(caddyfile).toContain(`{$${app.gate!.hashVariable}}`);
			// Nothing but the encrypted env file carries the password, its hash or the cookie value.
			for (const f of r.files.filter((x) => !x.path.endsWith('.age')))
				for (const secret of [s.setup_password!, s.setup_password_bcrypt!, s.setup_cookie!])
					expect(f.contents.includes(secret), `${f.path} carries a setup secret of ${id}`).toBe(false);
			expect(JSON.stringify(env)).not.toContain(s.setup_password!);
		}
		expect(file(r, 'docker-compose.yml')).toContain('/run/nassella/env/caddy.env');
	});

	it('is a Caddyfile the real Caddy reads with the env file, and refuses without it (fails closed)', async () => {
		const r = await renderServer(fixture('all-apps'), catalog(), { encrypt: plain });
		const env = parseComposeEnv(file(r, 'env/caddy.env.age')!.replace(/^PLAINTEXT\n/, ''));
		const ok = caddyAdapt(file(r, 'Caddyfile')!, env);
		expect(ok.code, ok.stderr).toBe(0);
		const json = JSON.parse(ok.stdout);
		expect(JSON.stringify(json)).toContain('/nassella-setup/open');
		expect(JSON.stringify(json)).toContain(env.NASSELLA_GATE_IMMICH_HASH!.slice(7));
		const without = caddyAdapt(file(r, 'Caddyfile')!, {});
		expect(without.code).not.toBe(0);
	});

	it('goes away when the person says setup is finished, and sign-ups close with it', async () => {
		const input = fixture('all-apps');
		const before = await renderServer(input, catalog(), { encrypt: plain });
		const forgejo = (r: typeof before) =>
			r.apps.find((a) => a.id === 'forgejo')!.services.find((s) => s.name === 'forgejo')!.environment;
		// While the gate is up, registration is open for the person to make the first (admin) account.
		expect(forgejo(before).FORGEJO__service__DISABLE_REGISTRATION).toBe('false');
		for (const a of appsOf(input))
			if (catalog().find((m) => m.id === a.id)!.firstStart.kind === 'setup-gate')
				a.inputs = { ...a.inputs, setup_done: 'true' };
		const after = await renderServer(input, catalog(), { encrypt: plain });
		expect(after.apps.some((a) => a.gate)).toBe(false);
		expect(file(after, 'Caddyfile')).not.toContain('nassella-setup');
		// caddy.env keeps only the admin password's hash.
		expect(Object.keys(parseComposeEnv(file(after, 'env/caddy.env.age')!.replace(/^PLAINTEXT\n/, '')))).toEqual([
			'NASSELLA_ADMIN_HASH'
		]);
		expect(forgejo(after).FORGEJO__service__DISABLE_REGISTRATION).toBe('true');
		const vikunja = after.apps.find((a) => a.id === 'vikunja')!.services.find((s) => s.name === 'vikunja')!;
		expect(vikunja.environment.VIKUNJA_SERVICE_ENABLEREGISTRATION).toBe('false');
	});

	it('is not put in front of an app that was already set up before gates existed', () => {
		const uptime = catalog().filter((m) => m.id === 'uptime-kuma');
		const fresh = completeAppSecrets(uptime, ['uptime-kuma'], {}, (b) => b.fill(3), testDerive);
		expect(fresh['uptime-kuma']![SETUP_PREDATES_GATE]).toBeUndefined();
		expect(fresh['uptime-kuma']!.setup_password).toHaveLength(24);
		const older = completeAppSecrets(uptime, ['uptime-kuma'], { 'uptime-kuma': {} }, (b) => b.fill(3), testDerive);
		expect(older['uptime-kuma']![SETUP_PREDATES_GATE]).toBe('true');
		// And the mark stays on later renders.
		const again = completeAppSecrets(uptime, ['uptime-kuma'], older, (b) => b.fill(5), testDerive);
		expect(again['uptime-kuma']).toEqual(older['uptime-kuma']);
	});

	it('says clearly when a hash was not made yet, instead of rendering an open gate', async () => {
		const input = fixture('five-apps');
		delete secretsOf(input).immich!.setup_password_bcrypt;
		await expect(renderServer(input, catalog(), { encrypt: plain })).rejects.toThrow(
			/Immich: setup_password_bcrypt is not made yet/
		);
	});

	it('gives ntfy its admin from a bcrypt hash in its encrypted env file, never the password', async () => {
		const input = fixture('all-apps');
		const r = await renderServer(input, catalog(), { encrypt: plain });
		const env = parseComposeEnv(file(r, 'env/ntfy.env.age')!.replace(/^PLAINTEXT\n/, ''));
		const s = secretsOf(input).ntfy!;
		expect(env.NTFY_AUTH_USERS).toBe(`admin:${s.admin_password_bcrypt}:admin`);
		expect(JSON.stringify(env)).not.toContain(s.admin_password!);
		expect(file(r, 'docker-compose.yml')).toContain('NTFY_ENABLE_SIGNUP: "false"');
	});
});
