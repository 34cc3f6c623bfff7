/** The relay's allowlist, table by table: what passes and what is refused with which reason. */
import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../workers/proxy/public-address.ts';
import { createRateLimiter } from '../../workers/proxy/rate-limit.ts';
import { decide, parseOrigins, PRODUCTION_RULES, requestHeaderVerdict } from '../../workers/proxy/policy.ts';

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const RECORD = '372e67954025e0ba6aaa6d586b9e0b59';
const UPLOAD = 'application/x-git-upload-pack-request';
const RECEIVE = 'application/x-git-receive-pack-request';

describe('allowed', () => {
	it.each([
		['GET', '/api.hetzner.cloud/v1/servers?name=nassella-web&label_selector=managed-by%3D%3Dnassella'],
		['POST', '/api.hetzner.cloud/v1/servers'],
		['POST', '/api.hetzner.cloud/v1/servers/42/actions/create_image'],
		['DELETE', '/api.hetzner.cloud/v1/servers/42'],
		['PUT', '/api.hetzner.cloud/v1/volumes/7'],
		['GET', '/api.hetzner.cloud/v1/actions/9'],
		['POST', '/api.hetzner.cloud/v1/zones/example.org/rrsets/@/A/actions/set_records'],
		['GET', '/api.hetzner.cloud/v1/zones/example.org/rrsets/_acme-challenge/TXT'],
		// What the Hetzner DNS adapter sends for the zone apex: encodeURIComponent('@')
		['GET', '/api.hetzner.cloud/v1/zones/12345/rrsets/%40/A'],
		['GET', '/api.hetzner.cloud/v1/zones/12345/rrsets/*.apps/CNAME'],
		// Server metrics, exactly as the Hetzner adapter asks (URLSearchParams encoding), and without a step
		[
			'GET',
			'/api.hetzner.cloud/v1/servers/42/metrics?type=cpu%2Cnetwork%2Cdisk&start=2026-11-25T11%3A00%3A00.000Z&end=2026-11-25T12%3A00%3A00.000Z&step=60'
		],
		[
			'GET',
			'/api.hetzner.cloud/v1/servers/42/metrics?type=cpu&start=2026-01-01T00%3A00%3A00Z&end=2026-01-01T01%3A00%3A00Z'
		],
		['GET', '/api.cloudflare.com/client/v4/user/tokens/verify'],
		['GET', '/api.cloudflare.com/client/v4/zones?name=example.org'],
		['GET', `/api.cloudflare.com/client/v4/zones/${ZONE}/dns_records?type=A`],
		['POST', `/api.cloudflare.com/client/v4/zones/${ZONE}/dns_records`],
		['PATCH', `/api.cloudflare.com/client/v4/zones/${ZONE}/dns_records/${RECORD}`],
		['DELETE', `/api.cloudflare.com/client/v4/zones/${ZONE}/dns_records/${RECORD}`],
		['GET', '/github.com/someone/my-server.git/info/refs?service=git-upload-pack'],
		['GET', '/github.com/someone/my-server/info/refs?service=git-receive-pack'],
		['GET', '/gitlab.com/group/sub/project.git/info/refs?service=git-upload-pack'],
		['GET', '/codeberg.org/someone/my-server.git/info/refs?service=git-upload-pack'],
		['GET', '/codeberg.org/api/v1/user'],
		['POST', '/codeberg.org/api/v1/user/repos'],
		['PUT', '/codeberg.org/api/v1/repos/someone/my-server/contents/compose.yaml'],
		['POST', '/codeberg.org/api/v1/repos/someone/my-server/keys']
	])('%s %s', (method, rest) => {
		const decision = decide(PRODUCTION_RULES, method, rest, 'application/json');
		expect(decision).toMatchObject({ allow: true });
	});

	it.each([
		['github.com', '/someone/repo.git/git-upload-pack', UPLOAD],
		['github.com', '/someone/repo.git/git-receive-pack', RECEIVE],
		['gitlab.com', '/a/b/c/repo.git/git-upload-pack', UPLOAD],
		['codeberg.org', '/someone/repo.git/git-receive-pack', `${RECEIVE}; charset=binary`]
	])('POST %s%s with %s', (host, path, type) => {
		expect(decide(PRODUCTION_RULES, 'POST', `/${host}${path}`, type)).toMatchObject({ allow: true });
	});
});

describe('refused', () => {
	it.each([
		// hosts not on the list, including look-alikes and hosts that send CORS themselves
		['GET', '/api.digitalocean.com/v2/droplets', /api.digitalocean.com is not on/],
		['GET', '/api.github.com/user', /not on/],
		['GET', '/evil.example/v1/servers', /not on/],
		['GET', '/api.hetzner.cloud.evil.example/v1/servers', /not on/],
		['GET', '/hetzner.cloud/v1/servers', /not on/],
		['GET', '/xn--hetzner-cloud-0ab.example/v1', /not on/],
		['GET', '/metadata.google.internal/computeMetadata/v1/', /not on/],
		// tricks in the host part
		['GET', '/api%2ehetzner.cloud/v1/servers', /Encoded/],
		['GET', '/api.hetzner.cloud%2fv1/servers', /Encoded/],
		['GET', '/API.HETZNER.CLOUD/v1/servers', /lowercase/],
		['GET', '/api.hetzner.cloud./v1/servers', /trailing dot/],
		['GET', '/token@api.hetzner.cloud/v1/servers', /User info/],
		['GET', '/api.hetzner.cloud@169.254.169.254/latest', /User info/],
		['GET', '/api.hetzner.cloud:444/v1/servers', /Ports/],
		['GET', '/api.hetzner.cloud\\.evil.example/v1', /Backslash/],
		['GET', '//api.hetzner.cloud/v1/servers', /double slash/],
		['GET', '/169.254.169.254/latest/meta-data', /IP addresses/],
		['GET', '/127.0.0.1/v1/servers', /IP addresses/],
		['GET', '/2130706433/v1', /full domain/],
		['GET', '/[::1]/v1', /IPv6/],
		['GET', '/[fd00::1]/v1', /IPv6/],
		// paths not on the list
		['GET', '/api.hetzner.cloud/v2/servers', /Hetzner Cloud address is not on/],
		['GET', '/api.hetzner.cloud/v1/certificates', /not on/],
		['GET', '/api.hetzner.cloud/v1/servers/../../v1/certificates', /Dot segments/],
		['GET', '/api.hetzner.cloud/v1/servers/%2e%2e/certificates', /Encoded/],
		['GET', '/api.hetzner.cloud/v1//servers', /double slashes/],
		['GET', '/api.cloudflare.com/client/v4/accounts/abc/members', /not on/],
		['GET', `/api.cloudflare.com/client/v4/zones/${ZONE}/settings`, /not on/],
		['GET', '/api.cloudflare.com/client/v4/user/tokens', /not on/],
		['GET', '/github.com/someone/repo/settings', /GitHub address is not on/],
		['GET', '/github.com/login/oauth/access_token', /not on/],
		['GET', '/github.com/someone/repo.git/info/refs', /not on/],
		['GET', '/github.com/someone/repo.git/info/refs?service=git-upload-archive', /not on/],
		['GET', '/github.com/someone/repo.git/info/refs?service=git-upload-pack&x=1', /not on/],
		['GET', '/github.com/a/b/c/info/refs?service=git-upload-pack', /not on/],
		['GET', '/codeberg.org/api/v1/admin/users', /not on/],
		// server metrics: read only, and only the query the app sends
		['GET', '/api.hetzner.cloud/v1/servers/42/metrics', /Hetzner Cloud address is not on/],
		['GET', '/api.hetzner.cloud/v1/servers/42/metrics?type=cpu&start=2026-01-01T00%3A00%3A00Z', /not on/],
		[
			'GET',
			'/api.hetzner.cloud/v1/servers/42/metrics?type=cpu%2Cnetwork%2Cdisk&start=2026-11-25T11%3A00%3A00.000Z&end=2026-11-25T12%3A00%3A00.000Z&step=60&extra=1',
			/not on/
		],
		[
			'GET',
			'/api.hetzner.cloud/v1/servers/42/metrics?type=load&start=2026-01-01T00%3A00%3A00Z&end=2026-01-01T01%3A00%3A00Z',
			/not on/
		],
		[
			'GET',
			'/api.hetzner.cloud/v1/servers/web/metrics?type=cpu%2Cnetwork%2Cdisk&start=2026-11-25T11%3A00%3A00.000Z&end=2026-11-25T12%3A00%3A00.000Z&step=60',
			/not on/
		],
		[
			'POST',
			'/api.hetzner.cloud/v1/servers/42/metrics?type=cpu%2Cnetwork%2Cdisk&start=2026-11-25T11%3A00%3A00.000Z&end=2026-11-25T12%3A00%3A00.000Z&step=60',
			/method POST/
		],
		[
			'DELETE',
			'/api.hetzner.cloud/v1/servers/42/metrics?type=cpu%2Cnetwork%2Cdisk&start=2026-11-25T11%3A00%3A00.000Z&end=2026-11-25T12%3A00%3A00.000Z&step=60',
			/method DELETE/
		],
		// path parameters: "metrics;x" would otherwise be a segment of the general route, and
		// slip past the metrics rule to a server that reads it as "metrics"
		['GET', '/api.hetzner.cloud/v1/servers/42/metrics;x', /Path parameters/],
		['DELETE', '/api.hetzner.cloud/v1/servers/42;metrics', /Path parameters/],
		['GET', '/api.hetzner.cloud/v1/servers/42/metrics%3Bx', /Encoded separators/],
		// methods
		['DELETE', `/api.cloudflare.com/client/v4/zones/${ZONE}`, /method DELETE/],
		['PATCH', '/api.hetzner.cloud/v1/servers/1', /method PATCH/],
		['TRACE', '/api.hetzner.cloud/v1/servers', /method TRACE/],
		['CONNECT', '/api.hetzner.cloud/v1/servers', /method CONNECT/],
		['POST', '/github.com/someone/repo.git/info/refs?service=git-upload-pack', /method POST/],
		['GET', '/github.com/someone/repo.git/git-upload-pack', /method GET/]
	])('%s %s', (method, rest, reason) => {
		const decision = decide(PRODUCTION_RULES, method, rest, 'application/json');
		expect(decision.allow).toBe(false);
		if (!decision.allow) expect(decision.reason).toMatch(reason);
	});

	it.each([
		['/github.com/someone/repo.git/git-upload-pack', 'application/x-git-receive-pack-request'],
		['/github.com/someone/repo.git/git-receive-pack', UPLOAD],
		['/github.com/someone/repo.git/git-upload-pack', 'text/plain'],
		['/github.com/someone/repo.git/git-upload-pack', null]
	])('POST %s with Content-Type %s', (rest, type) => {
		const decision = decide(PRODUCTION_RULES, 'POST', rest, type);
		expect(decision.allow).toBe(false);
		if (!decision.allow) expect(decision.reason).toMatch(/needs Content-Type/);
	});
});

describe('headers', () => {
	it.each([
		['Authorization', 'forward'],
		['content-type', 'forward'],
		['Accept', 'forward'],
		['git-protocol', 'forward'],
		['user-agent', 'forward'],
		['Cookie', 'drop'],
		['origin', 'drop'],
		['referer', 'drop'],
		['sec-fetch-mode', 'drop'],
		['cf-connecting-ip', 'drop'],
		['x-forwarded-for', 'drop'],
		['accept-encoding', 'drop'],
		['x-auth-key', 'refuse'],
		['x-auth-email', 'refuse'],
		['proxy-authorization', 'refuse'],
		['x-http-method-override', 'refuse'],
		['x-original-url', 'refuse']
	])('%s → %s', (name, verdict) => {
		expect(requestHeaderVerdict(name)).toBe(verdict);
	});
});

describe('addresses', () => {
	it.each([
		'0.0.0.0',
		'10.1.2.3',
		'100.64.0.1',
		'127.0.0.1',
		'127.255.255.254',
		'169.254.169.254',
		'172.16.0.1',
		'172.31.255.255',
		'192.168.1.1',
		'192.0.2.10',
		'198.18.0.1',
		'224.0.0.1',
		'255.255.255.255',
		'::',
		'::1',
		'::ffff:127.0.0.1',
		'::ffff:10.0.0.1',
		'::ffff:8.8.8.8',
		'64:ff9b::a00:1',
		'2002:a00:1::1',
		'2001:0:4136:e378::1',
		'2001:db8::1',
		'fc00::1',
		'fd12:3456::1',
		'fe80::1',
		'fec0::1',
		'ff02::1',
		'not-an-address'
	])('blocks %s', (address) => {
		expect(isPublicAddress(address)).toBe(false);
	});

	it.each(['1.1.1.1', '95.217.0.1', '104.16.132.229', '172.32.0.1', '2a01:4f8::1', '2606:4700::1111'])(
		'allows %s',
		(address) => {
			expect(isPublicAddress(address)).toBe(true);
		}
	);
});

describe('configured origins', () => {
	it('reads exact origins and refuses plain http off loopback', () => {
		expect(parseOrigins('https://a.example, https://b.example/path http://127.0.0.1:4173')).toEqual([
			'https://a.example',
			'https://b.example',
			'http://127.0.0.1:4173'
		]);
		expect(parseOrigins(undefined)).toEqual([]);
		expect(() => parseOrigins('http://app.example')).toThrow(/https/);
	});
});

describe('token bucket', () => {
	it('lets each client burst, refills over time, and keeps clients apart', () => {
		let now = 0;
		const allow = createRateLimiter({ capacity: 3, perSecond: 1, now: () => now });
		expect([allow('a'), allow('a'), allow('a'), allow('a')]).toEqual([true, true, true, false]);
		expect(allow('b')).toBe(true);
		now += 999;
		expect(allow('a')).toBe(false);
		now += 1;
		expect(allow('a')).toBe(true);
		now += 60_000;
		expect([allow('a'), allow('a'), allow('a'), allow('a')]).toEqual([true, true, true, false]);
	});

	it('forgets the stalest clients when its table is full', () => {
		const allow = createRateLimiter({ capacity: 1, perSecond: 0, maxClients: 2, now: () => 0 });
		expect(allow('a')).toBe(true);
		expect(allow('a')).toBe(false);
		allow('b');
		allow('c'); // 'a' is forgotten and starts afresh
		expect(allow('a')).toBe(true);
	});
});
