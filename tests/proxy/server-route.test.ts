/**
 * The relay's `server` route to a person's own server (status.json and the journal on its
 * admin host): the rule table, and real HTTP through the Node entry to a stand-in admin
 * host on loopback (mapped only through the test option).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { APP, raw, startRelay, startUpstream, type Running } from './helpers.ts';
import { decideServer, serverHeaderVerdict } from '../../workers/proxy/policy.ts';

const HOST = 'nassella.family-example.org';
const AUTH = `Basic ${Buffer.from('admin:admin-pass-3f9a1c').toString('base64')}`;
const CURSOR = 's=6a1f;i=2b;b=9c0d;m=1e;t=5f;x=77';

describe('server route: rules', () => {
	it.each([
		`/server/${HOST}/status.json`,
		`/server/${HOST}/journal/entries`,
		`/server/${HOST}/journal/entries?follow`,
		`/server/${HOST}/journal/entries?follow&CONTAINER_NAME=nassella-vaultwarden-1`,
		`/server/${HOST}/journal/entries?_SYSTEMD_UNIT=nassella-sync.service&PRIORITY=3`,
		`/server/${HOST}/journal/entries?SYSLOG_IDENTIFIER=nassella-backup`
	])('allows GET %s', (rest) => {
		expect(decideServer('GET', rest)).toMatchObject({ allow: true, target: { host: HOST } });
	});

	it.each([
		['GET', '/server/127.0.0.1/status.json', /IP addresses/],
		['GET', '/server/127.1/status.json', /IP addresses/],
		['GET', '/server/[::1]/status.json', /IPv6/],
		['GET', '/server/localhost/status.json', /full domain/],
		['GET', `/server/${HOST}:8443/status.json`, /Ports/],
		['GET', `/server/user@${HOST}/status.json`, /User info/],
		['GET', `/server/NASSELLA.example.org/status.json`, /lowercase/],
		['GET', `/server/${HOST}./status.json`, /trailing dot/],
		['GET', `/server/${HOST}/status.json?x=1`, /no query/],
		['GET', `/server/${HOST}/`, /not on this relay's list/],
		['GET', `/server/${HOST}/journal/machine`, /not on this relay's list/],
		['GET', `/server/${HOST}/journal/fields/MESSAGE`, /not on this relay's list/],
		['GET', `/server/${HOST}/journal/../status.json`, /Dot segments/],
		['GET', `/server/${HOST}/journal%2fentries`, /Encoded separators/],
		['GET', `/server/${HOST}/journal/entries?MESSAGE=hello`, /not allowed/],
		['GET', `/server/${HOST}/journal/entries?_CMDLINE=bash`, /not allowed/],
		['GET', `/server/${HOST}/journal/entries?CONTAINER_NAME=a%20b`, /characters/],
		['GET', `/server/${HOST}/journal/entries?CONTAINER_NAME=`, /characters/],
		['GET', `/server/${HOST}/journal/entries?CONTAINER_NAME`, /characters/],
		['GET', `/server/${HOST}/journal/entries?follow&follow`, /twice/],
		['GET', `/server/${HOST}/journal/entries?${'PRIORITY=1&'.repeat(9)}`, /Too many/],
		['POST', `/server/${HOST}/journal/entries`, /method POST/],
		['DELETE', `/server/${HOST}/status.json`, /method DELETE/]
	])('refuses %s %s', (method, rest, reason) => {
		const d = decideServer(method, rest);
		expect(d.allow).toBe(false);
		expect(d.allow ? '' : d.reason).toMatch(reason);
	});

	it('passes on only Authorization, Accept and a well-formed Range', () => {
		expect(serverHeaderVerdict('Authorization', AUTH)).toBe('forward');
		expect(serverHeaderVerdict('accept', 'application/json')).toBe('forward');
		expect(serverHeaderVerdict('range', 'entries=:-100:100')).toBe('forward');
		expect(serverHeaderVerdict('range', `entries=${CURSOR}:1:200`)).toBe('forward');
		expect(serverHeaderVerdict('range', 'bytes=0-100')).toBe('refuse');
		expect(serverHeaderVerdict('range', 'entries=x\r\ny')).toBe('refuse');
		expect(serverHeaderVerdict('user-agent', 'Mozilla/5.0')).toBe('drop');
		expect(serverHeaderVerdict('cookie', 'a=1')).toBe('drop');
		for (const refused of ['content-type', 'git-protocol', 'if-match', 'x-api-key'])
			expect(serverHeaderVerdict(refused, 'x'), refused).toBe('refuse');
	});
});

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let relay: Awaited<ReturnType<typeof startRelay>>;
let serve: (url: string, res: import('node:http').ServerResponse) => void | Promise<void>;

beforeAll(async () => {
	upstream = await startUpstream((req, res) => serve(req.url, res));
	relay = await startRelay({
		allowedOrigins: [APP],
		rateLimit: false,
		serverLimits: { maxResponseBytes: 4096, timeoutMs: 1500 },
		test: { loopbackUpstreams: { [HOST]: upstream.url } }
	});
});
afterAll(async () => {
	await relay.close();
	await upstream.close();
});
afterEach(() => {
	upstream.requests.length = 0;
	relay.logs.length = 0;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('server route: through the Node relay', () => {
	it('forwards a status request with only the allowed headers, and logs neither host nor credentials', async () => {
		serve = (_url, res) => {
			res.writeHead(200, {
				'content-type': 'application/json',
				'set-cookie': 'a=1',
				'www-authenticate': 'Basic realm="restricted"'
			});
			res.end('{"version":1}');
		};
		const answer = await raw(relay.port, 'GET', `/server/${HOST}/status.json`, {
			origin: APP,
			authorization: AUTH,
			accept: 'application/json',
			'user-agent': 'Mozilla/5.0',
			cookie: 'c=1',
			referer: `${APP}/dashboard`
		});
		expect(answer.status).toBe(200);
		expect(answer.body).toBe('{"version":1}');
		expect(answer.headers['access-control-allow-origin']).toBe(APP);
		expect(answer.headers['set-cookie']).toBeUndefined();
		expect(answer.headers['www-authenticate']).toBeUndefined();
		const seen = upstream.requests[0]!;
		expect(seen.url).toBe('/status.json');
		expect(seen.headers.host).toBe(HOST);
		expect(seen.headers.authorization).toBe(AUTH);
		for (const gone of ['cookie', 'user-agent', 'referer', 'origin']) expect(seen.headers[gone], gone).toBeUndefined();
		expect(relay.logs).toEqual([{ host: 'server', status: 200, ms: expect.any(Number) }]);
		expect(JSON.stringify(relay.logs)).not.toContain(HOST);
	});

	it('forwards journal queries and the Range header as they are', async () => {
		serve = (_url, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{"MESSAGE":"hello"}\n');
		};
		const answer = await raw(
			relay.port,
			'GET',
			`/server/${HOST}/journal/entries?CONTAINER_NAME=nassella-vaultwarden-1&PRIORITY=3`,
			{ origin: APP, authorization: AUTH, accept: 'application/json', range: `entries=${CURSOR}:1:100` }
		);
		expect(answer.status).toBe(200);
		const seen = upstream.requests[0]!;
		expect(seen.url).toBe('/journal/entries?CONTAINER_NAME=nassella-vaultwarden-1&PRIORITY=3');
		expect(seen.headers.range).toBe(`entries=${CURSOR}:1:100`);
	});

	it('refuses other headers, methods and paths before anything is sent', async () => {
		const cases: [string, string, Record<string, string>][] = [
			['GET', `/server/${HOST}/status.json`, { 'x-api-key': '1' }],
			['GET', `/server/${HOST}/status.json`, { 'content-type': 'application/json' }],
			['GET', `/server/${HOST}/journal/entries`, { range: 'bytes=0-' }],
			['POST', `/server/${HOST}/journal/entries`, { 'content-type': 'application/json' }],
			['GET', `/server/${HOST}/journal/entries?MESSAGE=x`, {}],
			['GET', '/server/10.0.0.1/status.json', {}],
			['GET', `/server/${HOST}/metrics`, {}]
		];
		for (const [method, target, headers] of cases) {
			const answer = await raw(relay.port, method, target, { origin: APP, authorization: AUTH, ...headers }, '');
			expect(answer.status, `${method} ${target}`).toBe(403);
			expect(answer.body).not.toContain('admin-pass');
		}
		expect(upstream.requests).toHaveLength(0);
	});

	it('answers the preflight for GET with Authorization and Range only', async () => {
		const ok = await raw(relay.port, 'OPTIONS', `/server/${HOST}/journal/entries?follow`, {
			origin: APP,
			'access-control-request-method': 'GET',
			'access-control-request-headers': 'authorization, range'
		});
		expect(ok.status).toBe(204);
		expect(ok.headers['access-control-allow-headers']).toBe('accept, authorization, range');
		const bad = await raw(relay.port, 'OPTIONS', `/server/${HOST}/status.json`, {
			origin: APP,
			'access-control-request-method': 'GET',
			'access-control-request-headers': 'authorization, content-type'
		});
		expect(bad.status).toBe(403);
		const post = await raw(relay.port, 'OPTIONS', `/server/${HOST}/status.json`, {
			origin: APP,
			'access-control-request-method': 'PUT'
		});
		expect(post.status).toBe(403);
	});

	it('does not follow or pass on redirects from the server', async () => {
		serve = (_url, res) => {
			res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' });
			res.end();
		};
		const answer = await raw(relay.port, 'GET', `/server/${HOST}/status.json`, { origin: APP, authorization: AUTH });
		expect(answer.status).toBe(502);
		expect(answer.headers.location).toBeUndefined();
		expect(answer.body).not.toContain('169.254');
	});

	it('streams a followed journal as it comes, before the answer ends', async () => {
		serve = async (_url, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.write('{"MESSAGE":"first"}\n');
			await sleep(400);
			res.end('{"MESSAGE":"second"}\n');
		};
		const seen = await new Promise<{ first: string; firstAt: number; endAt: number }>((resolve, reject) => {
			const started = Date.now();
			const req = request(
				{
					host: '127.0.0.1',
					port: relay.port,
					path: `/server/${HOST}/journal/entries?follow`,
					headers: { origin: APP, authorization: AUTH, accept: 'application/json' }
				},
				(res) => {
					let first = '';
					let firstAt = 0;
					res.on('data', (c: Buffer) => {
						if (!first) {
							first = c.toString();
							firstAt = Date.now() - started;
						}
					});
					res.on('end', () => resolve({ first, firstAt, endAt: Date.now() - started }));
					res.on('error', reject);
				}
			);
			req.on('error', reject);
			req.end();
		});
		expect(seen.first).toBe('{"MESSAGE":"first"}\n');
		// The first line arrived while the server was still holding the answer open.
		expect(seen.firstAt).toBeLessThan(seen.endAt);
	});

	it('cuts off a journal answer beyond its size or time bounds', async () => {
		serve = async (_url, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			for (let i = 0; i < 100 && !res.destroyed; i++) {
				res.write(`{"MESSAGE":"${'x'.repeat(100)}"}\n`);
				await sleep(5);
			}
			res.end();
		};
		const big = await rawStream(relay.port, `/server/${HOST}/journal/entries`);
		expect(big.bytes).toBeLessThanOrEqual(4096);
		expect(big.broken).toBe(true);

		serve = async (_url, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.write('{"MESSAGE":"x"}\n');
			// Holds the answer open far longer than the relay's bound.
			await sleep(3000);
			if (!res.destroyed) res.end();
		};
		const slow = await rawStream(relay.port, `/server/${HOST}/journal/entries?follow`);
		expect(slow.broken).toBe(true);
		expect(slow.bytes).toBeGreaterThan(0);
	});
});

describe('server route: addresses after name resolution', () => {
	let guarded: Running & { logs: unknown[] };
	let resolved: string[] = [];
	beforeAll(async () => {
		guarded = await startRelay({
			allowedOrigins: [APP],
			rateLimit: false,
			test: {
				resolve: async () => resolved.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
			}
		});
	});
	afterAll(() => guarded.close());

	it.each([
		[['127.0.0.1']],
		[['10.1.2.3']],
		[['192.168.1.20']],
		[['fd00::1']],
		[['95.217.0.1', '172.16.0.1']],
		[['2001:2::10']],
		[['3fff::10']],
		[['5f00::10']],
		[['::ffff:0:a00:1']],
		[['2a01:4f8::1', '2001:10::1']]
	])('refuses an admin host that resolves to %j', async (addresses) => {
		resolved = addresses;
		const answer = await raw(guarded.port, 'GET', `/server/${HOST}/status.json`, {
			origin: APP,
			authorization: AUTH
		});
		expect(answer.status).toBe(403);
		expect(JSON.parse(answer.body).error).toMatch(/private, loopback or otherwise reserved/);
	});
});

function rawStream(port: number, path: string): Promise<{ bytes: number; broken: boolean }> {
	return new Promise((resolve, reject) => {
		let bytes = 0;
		const req = request(
			{ host: '127.0.0.1', port, path, headers: { origin: APP, authorization: AUTH, accept: 'application/json' } },
			(res) => {
				res.on('data', (c: Buffer) => (bytes += c.length));
				res.on('end', () => resolve({ bytes, broken: false }));
				res.on('error', () => resolve({ bytes, broken: true }));
				res.on('aborted', () => resolve({ bytes, broken: true }));
			}
		);
		req.on('error', (e) => (bytes > 0 ? resolve({ bytes, broken: true }) : reject(e)));
		req.end();
	});
}
