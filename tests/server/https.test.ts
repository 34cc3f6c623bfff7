/**
 * HTTPS for real: Debian's caddy runs a generated Caddyfile and gets its certificates from
 * pebble (the ACME test CA) on loopback; the test fetches every app host over HTTPS from
 * stand-in upstreams, and the admin host with and without credentials; log entries come
 * from a real systemd-journal-gatewayd (socket-activated on a UNIX socket, as on the
 * server) serving a journal written by systemd-journal-remote with container entries.
 * Every kind of answer (the app's, the 502 while an app is down, the 401s, the gate's and
 * plain HTTP's redirects, the 404 for an unknown host) is checked for the security headers.
 *
 * Differences from the server, all through the generator's test-harness options: ports
 * are free loopback ports instead of 80/443; the ACME directory is pebble (its challenge
 * checks are off: PEBBLE_VA_ALWAYS_VALID=1, since nothing can resolve the test names);
 * upstreams are loopback stand-ins instead of containers; status and socket paths are in a
 * temporary directory; Caddy's admin API is off. Host names reach Caddy through SNI and the
 * Host header on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, renderTo, run } from './helpers.ts';
import type { ServerApp } from '../../src/lib/core/server/app.ts';

const T = mkdtempSync(join(tmpdir(), 'nassella-https-'));
const procs: ChildProcess[] = [];
const servers: Server[] = [];
const PASSWORD = 'fixture-password';
let pebbleRoot = '';
let httpPort = 0;
let httpsPort = 0;
let adminHost = '';
let apps: ServerApp[] = [];
let setupPasswords: Record<string, Record<string, string>> = {};
const upstreamPorts = new Map<string, number>();
const upstreams = new Map<string, Server>();

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = createNetServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const port = (s.address() as { port: number }).port;
			s.close(() => resolve(port));
		});
	});
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
	const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
	let log = '';
	p.stdout?.on('data', (d) => (log += d));
	p.stderr?.on('data', (d) => (log += d));
	(p as ChildProcess & { log: () => string }).log = () => log;
	procs.push(p);
	return p;
}

interface Answer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: string;
}

function get(
	host: string,
	path: string,
	opts: { auth?: string; method?: string; headers?: Record<string, string> } = {}
): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const req = request(
			{
				host: '127.0.0.1',
				port: httpsPort,
				servername: host,
				path,
				method: opts.method ?? 'GET',
				ca: pebbleRoot,
				headers: {
					Host: host,
					...(opts.auth ? { Authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {}),
					...opts.headers
				},
				timeout: 10_000
			},
			(res) => {
				let body = '';
				res.on('data', (c) => (body += c));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
			}
		);
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', reject);
		req.end();
	});
}

/** A plain-HTTP request to Caddy's HTTP port, for the host name in the Host header. */
function getPlain(host: string, path: string): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(
			{ host: '127.0.0.1', port: httpPort, path, headers: { Host: host }, timeout: 10_000 },
			(res) => {
				let body = '';
				res.on('data', (c) => (body += c));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
			}
		);
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', reject);
		req.end();
	});
}

/** The headers every answer of the server carries, whatever its status, and no `Server` header. */
function expectSecurityHeaders(res: Answer, what: string) {
	expect(res.headers['strict-transport-security'], what).toBe('max-age=31536000');
	expect(res.headers['x-content-type-options'], what).toBe('nosniff');
	expect(res.headers['referrer-policy'], what).toBe('strict-origin-when-cross-origin');
	expect(res.headers['x-frame-options'], what).toBe('SAMEORIGIN');
	expect(res.headers['server'], what).toBeUndefined();
}

async function until<T>(what: string, fn: () => Promise<T>, seconds = 90): Promise<T> {
	const end = Date.now() + seconds * 1000;
	let last: unknown;
	for (let i = 0; i < 1000 && Date.now() < end; i++) {
		try {
			return await fn();
		} catch (e) {
			last = e;
			await new Promise((r) => setTimeout(r, 500));
		}
	}
	throw new Error(
		`${what} did not happen in ${seconds}s: ${(last as Error)?.message}\n${procs.map((p) => (p as ChildProcess & { log: () => string }).log()).join('\n')}`
	);
}

beforeAll(async () => {
	// pebble's own HTTPS certificate, from a throwaway CA.
	const ca = join(T, 'ca');
	mkdirSync(ca);
	const ssl = (args: string[]) => {
		const r = run('openssl', args, { cwd: ca });
		if (r.code !== 0) throw new Error(r.stderr);
	};
	ssl([
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:P-256',
		'-nodes',
		'-keyout',
		'ca.key',
		'-out',
		'ca.pem',
		'-days',
		'2',
		'-subj',
		'/CN=nassella test CA'
	]);
	ssl([
		'req',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:P-256',
		'-nodes',
		'-keyout',
		'pebble.key',
		'-out',
		'pebble.csr',
		'-subj',
		'/CN=localhost'
	]);
	writeFileSync(join(ca, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
	ssl([
		'x509',
		'-req',
		'-in',
		'pebble.csr',
		'-CA',
		'ca.pem',
		'-CAkey',
		'ca.key',
		'-CAcreateserial',
		'-out',
		'pebble.pem',
		'-days',
		'2',
		'-extfile',
		'san.ext'
	]);

	const [acmePort, mgmtPort, p80, p443] = [await freePort(), await freePort(), await freePort(), await freePort()];
	httpPort = p80;
	httpsPort = p443;
	writeFileSync(
		join(T, 'pebble.json'),
		JSON.stringify({
			pebble: {
				listenAddress: `127.0.0.1:${acmePort}`,
				managementListenAddress: `127.0.0.1:${mgmtPort}`,
				certificate: join(ca, 'pebble.pem'),
				privateKey: join(ca, 'pebble.key'),
				httpPort: httpPort,
				tlsPort: httpsPort,
				ocspResponderURL: '',
				externalAccountBindingRequired: false
			}
		})
	);
	start('pebble', ['-config', join(T, 'pebble.json')], {
		PEBBLE_VA_ALWAYS_VALID: '1',
		PEBBLE_VA_NOSLEEP: '1',
		PEBBLE_WFE_NONCEREJECT: '0'
	});
	const caPem = readFileSync(join(ca, 'ca.pem'), 'utf8');
	pebbleRoot = await until(
		'pebble root certificate',
		async () => {
			const r = run('curl', ['-sf', '--cacert', join(ca, 'ca.pem'), `https://127.0.0.1:${mgmtPort}/roots/0`], {
				timeout: 5000
			});
			if (r.code !== 0 || !r.stdout.includes('BEGIN CERTIFICATE')) throw new Error(`curl ${r.code}`);
			return r.stdout;
		},
		30
	);
	expect(caPem).toContain('BEGIN CERTIFICATE');

	// A journal with container entries, served by a socket-activated gatewayd.
	const now = BigInt(Date.now()) * 1000n;
	const entry = (i: number, container: string, message: string) =>
		`__REALTIME_TIMESTAMP=${now + BigInt(i)}\n__MONOTONIC_TIMESTAMP=${1000 + i}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=nassella-test\nMESSAGE=${message}\nCONTAINER_NAME=${container}\nCONTAINER_ID=abcdef01234${i}\nSYSLOG_IDENTIFIER=abcdef01234${i}\nIMAGE_NAME=test-image\n\n`;
	writeFileSync(
		join(T, 'entries.export'),
		entry(1, 'nassella-miniflux-1', 'miniflux started') +
			entry(2, 'nassella-caddy-1', 'caddy started') +
			entry(3, 'nassella-miniflux-1', 'miniflux ready')
	);
	mkdirSync(join(T, 'journal'));
	const jr = run('/usr/lib/systemd/systemd-journal-remote', [
		`--output=${join(T, 'journal/remote.journal')}`,
		join(T, 'entries.export')
	]);
	expect(jr.code, jr.stderr).toBe(0);
	const socket = join(T, 'journal.sock');
	start('systemd-socket-activate', [
		'-l',
		socket,
		'/usr/lib/systemd/systemd-journal-gatewayd',
		`--directory=${join(T, 'journal')}`
	]);

	// Status file as the sync script writes it.
	mkdirSync(join(T, 'status'));
	writeFileSync(join(T, 'status/status.json'), JSON.stringify({ version: 1, result: 'ok', commit: 'abc' }));

	// Stand-in upstreams, one per app entrypoint.
	const input = fixture('five-apps');
	const rendered0 = await renderTo(input);
	for (const app of rendered0.apps)
		for (const ep of app.entrypoints) {
			const server = createServer((req, res) => {
				res.setHeader('Content-Type', 'text/plain');
				res.end(`upstream ${app.id}/${ep.id} ${req.url}`);
			});
			await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
			servers.push(server);
			upstreams.set(`${app.id}/${ep.id}`, server);
			upstreamPorts.set(`${app.id}/${ep.id}`, (server.address() as { port: number }).port);
		}

	const rendered = await renderTo(input, undefined, {
		acmeCa: `https://127.0.0.1:${acmePort}/dir`,
		acmeCaRoot: join(ca, 'ca.pem'),
		httpPort,
		httpsPort,
		adminApiOff: true,
		storageRoot: join(T, 'caddy'),
		statusRoot: join(T, 'status'),
		journalSocket: socket,
		upstream: (app: ServerApp, ep: ServerApp['entrypoints'][number]) =>
			`127.0.0.1:${upstreamPorts.get(`${app.id}/${ep.id}`)}`
	});
	apps = rendered.apps;
	adminHost = `nassella.${(input.config as { domain: string }).domain}`;
	// The setup gates' hashes and cookie values, as the server gives them to Caddy (caddy.env).
	const gateEnv = Object.fromEntries(
		apps.flatMap((a) =>
			a.gate
				? [
						[a.gate.hashVariable, a.gate.hash],
						[a.gate.tokenVariable, a.gate.token]
					]
				: []
		)
	);
	expect(Object.keys(gateEnv).length).toBeGreaterThan(0);
	// The admin password's hash, as caddy.env gives it (the Caddyfile names only the variable).
	gateEnv.NASSELLA_ADMIN_HASH = (input.config as { admin: { passwordHash: string } }).admin.passwordHash;
	setupPasswords = (input.secrets as { apps: Record<string, Record<string, string>> }).apps;
	start('caddy', ['run', '--config', join(rendered.bundle, 'Caddyfile'), '--adapter', 'caddyfile'], {
		HOME: T,
		XDG_DATA_HOME: join(T, 'xdg'),
		XDG_CONFIG_HOME: join(T, 'xdg'),
		...gateEnv
	});
}, 120_000);

afterAll(async () => {
	for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
	for (const s of servers) s.close();
});

describe('generated Caddyfile served by real Caddy with pebble certificates', () => {
	it('serves every app host over HTTPS with security headers', async () => {
		expect(apps.length).toBeGreaterThan(0);
		for (const app of apps)
			for (const ep of app.entrypoints) {
				const cookie: Record<string, string> = app.gate ? { Cookie: `${app.gate.cookie}=${app.gate.token}` } : {};
				const res = await until(`HTTPS for ${ep.host}`, () => get(ep.host, '/hello', { headers: cookie }));
				expect(res.status).toBe(200);
				expect(res.body).toBe(`upstream ${app.id}/${ep.id} /hello`);
				expectSecurityHeaders(res, `200 from ${ep.host}`);
			}
	}, 120_000);

	it('setup gate: an app set up by its first visitor is reachable only with the setup password', async () => {
		const gated = apps.filter((a) => a.gate);
		expect(gated.map((a) => a.id).sort()).toEqual(['immich', 'uptime-kuma']);
		for (const app of gated) {
			const host = app.entrypoints[0]!.host;
			const gate = app.gate!;
			const password = setupPasswords[app.id]!.setup_password!;
			// Without the cookie: sent to the gate, and the app never sees the request.
			const first = await until(`HTTPS for ${host}`, () => get(host, '/api/admin-sign-up', { method: 'POST' }));
			expect(first.status).toBe(302);
			expect(first.headers.location).toBe('/nassella-setup/open');
			expect(first.body).not.toContain('upstream');
			// The gate asks for the setup password and refuses a wrong one or a wrong user.
			const none = await get(host, '/nassella-setup/open');
			expect(none.status).toBe(401);
			expect(String(none.headers['www-authenticate'])).toMatch(/^Basic /);
			expect(none.headers['set-cookie']).toBeUndefined();
			expect((await get(host, '/nassella-setup/open', { auth: 'setup:wrong-password' })).status).toBe(401);
			expect((await get(host, '/nassella-setup/open', { auth: `admin:${password}` })).status).toBe(401);
			const forged = await get(host, '/hello', { headers: { Cookie: `${gate.cookie}=not-the-token` } });
			expect(forged.status).toBe(302);
			// The right password: a cookie for this browser, and back to the app.
			const open = await get(host, '/nassella-setup/open', { auth: `setup:${password}` });
			expect(open.status).toBe(303);
			expect(open.headers.location).toBe('/');
			const setCookie = String(open.headers['set-cookie']);
			expect(setCookie).toContain(`${gate.cookie}=${gate.token};`);
			expect(setCookie).toMatch(/Secure/);
			expect(setCookie).toMatch(/HttpOnly/);
			const through = await get(host, '/hello', { headers: { Cookie: setCookie.split(';')[0]! } });
			expect(through.status).toBe(200);
			expect(through.body).toBe(`upstream ${app.id}/main /hello`);
		}
		// An app without a gate is not asked for anything.
		const open = apps.find((a) => a.id === 'miniflux')!;
		expect((await get(open.entrypoints[0]!.host, '/hello')).status).toBe(200);
	}, 120_000);

	it('admin host: refuses without or with wrong credentials, serves status.json with them', async () => {
		const none = await until('HTTPS for the admin host', () => get(adminHost, '/status.json'));
		expect(none.status).toBe(401);
		expect(none.body).not.toContain('commit');
		const wrong = await get(adminHost, '/status.json', { auth: 'nassella:wrong' });
		expect(wrong.status).toBe(401);
		const ok = await get(adminHost, '/status.json', { auth: `nassella:${PASSWORD}` });
		expect(ok.status).toBe(200);
		expect(JSON.parse(ok.body)).toMatchObject({ result: 'ok', commit: 'abc' });
		expect(ok.headers['access-control-allow-origin']).toBe('https://app.nassella.org');
		const other = await get(adminHost, '/anything-else', { auth: `nassella:${PASSWORD}` });
		expect(other.status).toBe(404);
	}, 120_000);

	it('admin host: answers the CORS preflight for the app origin only', async () => {
		const pre = await get(adminHost, '/status.json', {
			method: 'OPTIONS',
			headers: {
				Origin: 'https://app.nassella.org',
				'Access-Control-Request-Method': 'GET',
				'Access-Control-Request-Headers': 'authorization'
			}
		});
		expect(pre.status).toBe(204);
		expect(pre.headers['access-control-allow-origin']).toBe('https://app.nassella.org');
		expect(String(pre.headers['access-control-allow-headers'])).toContain('Authorization');
		expect(pre.headers['access-control-allow-origin']).not.toBe('https://evil.example');
	});

	it('admin host: container log entries come through from systemd-journal-gatewayd, only with credentials', async () => {
		const denied = await get(adminHost, '/journal/entries?CONTAINER_NAME=nassella-miniflux-1', {
			headers: { Accept: 'application/json' }
		});
		expect(denied.status).toBe(401);
		const res = await get(adminHost, '/journal/entries?CONTAINER_NAME=nassella-miniflux-1', {
			auth: `nassella:${PASSWORD}`,
			headers: { Accept: 'application/json' }
		});
		expect(res.status).toBe(200);
		const entries = res.body
			.split('\n')
			.filter(Boolean)
			.map((l) => JSON.parse(l));
		expect(entries.map((e) => e.MESSAGE)).toEqual(['miniflux started', 'miniflux ready']);
		expect(entries.every((e) => e.CONTAINER_NAME === 'nassella-miniflux-1')).toBe(true);
	}, 60_000);
});

describe('security headers on every answer of the real Caddy, errors included', () => {
	it('an app that is down: the 502 carries the security headers and no Server header', async () => {
		const app = apps.find((a) => a.id === 'miniflux')!;
		const host = app.entrypoints[0]!.host;
		const key = `${app.id}/${app.entrypoints[0]!.id}`;
		const server = upstreams.get(key)!;
		const port = upstreamPorts.get(key)!;
		expect((await until(`HTTPS for ${host}`, () => get(host, '/hello'))).status).toBe(200);
		// The app stops: its port is closed, and Caddy's kept-alive connections to it too.
		await new Promise<void>((r) => {
			server.close(() => r());
			server.closeAllConnections();
		});
		try {
			const down = await get(host, '/hello');
			expect(down.status).toBe(502);
			expect(down.body).not.toContain('upstream');
			expectSecurityHeaders(down, `502 from ${host}`);
		} finally {
			await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
		}
		const back = await get(host, '/hello');
		expect(back.status).toBe(200);
		expectSecurityHeaders(back, `200 from ${host} once it is back`);
	}, 60_000);

	it('admin host: the 401 without credentials, the 200 and the 404 with them, and the preflight', async () => {
		const none = await until('HTTPS for the admin host', () => get(adminHost, '/status.json'));
		expect(none.status).toBe(401);
		expect(String(none.headers['www-authenticate'])).toMatch(/^Basic /);
		expectSecurityHeaders(none, '401 from the admin host');
		const wrong = await get(adminHost, '/journal/entries', { auth: 'nassella:wrong' });
		expect(wrong.status).toBe(401);
		expectSecurityHeaders(wrong, '401 for a wrong password');
		const ok = await get(adminHost, '/status.json', { auth: `nassella:${PASSWORD}` });
		expect(ok.status).toBe(200);
		expect(ok.headers['cache-control']).toBe('no-store');
		expectSecurityHeaders(ok, '200 from the admin host');
		const other = await get(adminHost, '/anything-else', { auth: `nassella:${PASSWORD}` });
		expect(other.status).toBe(404);
		expectSecurityHeaders(other, '404 from the admin host');
		const pre = await get(adminHost, '/status.json', {
			method: 'OPTIONS',
			headers: { Origin: 'https://app.nassella.org', 'Access-Control-Request-Method': 'GET' }
		});
		expect(pre.status).toBe(204);
		expectSecurityHeaders(pre, 'preflight on the admin host');
	}, 60_000);

	it('setup gate: the redirects and the 401 of the gate carry the security headers', async () => {
		const app = apps.find((a) => a.id === 'uptime-kuma')!;
		const host = app.entrypoints[0]!.host;
		const closed = await until(`HTTPS for ${host}`, () => get(host, '/'));
		expect(closed.status).toBe(302);
		expectSecurityHeaders(closed, '302 to the setup gate');
		const asked = await get(host, '/nassella-setup/open');
		expect(asked.status).toBe(401);
		expect(String(asked.headers['www-authenticate'])).toMatch(/^Basic /);
		expectSecurityHeaders(asked, '401 of the setup gate');
		const password = setupPasswords[app.id]!.setup_password!;
		const open = await get(host, '/nassella-setup/open', { auth: `setup:${password}` });
		expect(open.status).toBe(303);
		expectSecurityHeaders(open, '303 from the setup gate');
	}, 60_000);

	it('plain HTTP: every host is redirected to HTTPS, with the security headers and no Server header', async () => {
		for (const host of [...apps.flatMap((a) => a.entrypoints.map((e) => e.host)), adminHost, 'other.example.net']) {
			const res = await until(`HTTP for ${host}`, () => getPlain(host, '/some/path?x=1'));
			expect(res.status, host).toBe(308);
			expect(res.headers.location, host).toBe(`https://${host}/some/path?x=1`);
			expectSecurityHeaders(res, `redirect for ${host}`);
		}
	}, 60_000);

	it('HTTPS for a host name no site serves: a 404 with the security headers', async () => {
		const news = apps.find((a) => a.id === 'miniflux')!.entrypoints[0]!.host;
		// The TLS name is a served one (Caddy has no certificate for any other); the Host is not.
		const res = await until('HTTPS for an unknown Host', () =>
			get(news, '/hello', { headers: { Host: 'other.example.net' } })
		);
		expect(res.status).toBe(404);
		expect(res.body).not.toContain('upstream');
		expectSecurityHeaders(res, '404 for an unknown host');
		// A TLS name no site serves still gets no certificate at all.
		await expect(get('other.example.net', '/hello')).rejects.toThrow();
	}, 60_000);
});
