import { describe, expect, it } from 'vitest';
import { checkProxyBase, parseProxiedPath, policyAllowsConnect, viaProxy } from './proxy-url.ts';

describe('viaProxy', () => {
	it('leaves the URL alone without a relay', () => {
		expect(viaProxy('https://api.hetzner.cloud/v1/servers?name=a', undefined)).toBe(
			'https://api.hetzner.cloud/v1/servers?name=a'
		);
		expect(viaProxy('https://api.hetzner.cloud/v1/servers', '')).toBe('https://api.hetzner.cloud/v1/servers');
	});

	it.each([
		['https://proxy.example.org', 'https://proxy.example.org/api.hetzner.cloud/v1/servers?name=a%20b'],
		['https://proxy.example.org/', 'https://proxy.example.org/api.hetzner.cloud/v1/servers?name=a%20b'],
		['http://127.0.0.1:4173/proxy', 'http://127.0.0.1:4173/proxy/api.hetzner.cloud/v1/servers?name=a%20b'],
		['http://127.0.0.1:4173/proxy//', 'http://127.0.0.1:4173/proxy/api.hetzner.cloud/v1/servers?name=a%20b']
	])('puts the host and path after the base %s', (base, expected) => {
		expect(viaProxy('https://api.hetzner.cloud/v1/servers?name=a%20b#frag', base)).toBe(expected);
	});

	it('refuses plain http and user info', () => {
		expect(() => viaProxy('http://api.hetzner.cloud/v1', 'https://p.example')).toThrow(/https/);
		expect(() => viaProxy('https://u:p@api.hetzner.cloud/v1', 'https://p.example')).toThrow(/user info/);
	});

	it('round-trips through parseProxiedPath', () => {
		for (const url of [
			'https://api.hetzner.cloud/v1/zones/example.org/rrsets/@/A',
			'https://github.com/owner/repo.git/info/refs?service=git-upload-pack',
			'https://api.cloudflare.com/client/v4/zones?name=example.org&per_page=50',
			'https://codeberg.org/'
		]) {
			const proxied = viaProxy(url, 'https://p.example/base');
			const rest = proxied.slice('https://p.example/base'.length);
			const parsed = parseProxiedPath(rest);
			expect(parsed.ok).toBe(true);
			if (parsed.ok) {
				const u = new URL(url);
				expect(parsed.target).toEqual({ host: u.host, path: u.pathname, search: u.search });
			}
		}
	});
});

describe('parseProxiedPath', () => {
	it.each([
		['', /start with/],
		['/', /missing/],
		['//api.hetzner.cloud/v1', /double slash/],
		['/api%2ehetzner.cloud/v1', /Encoded/],
		['/API.hetzner.cloud/v1', /lowercase/],
		['/api.hetzner.cloud./v1', /trailing dot/],
		['/user@api.hetzner.cloud/v1', /User info/],
		['/api.hetzner.cloud@evil.example/v1', /User info/],
		['/api.hetzner.cloud:8443/v1', /Ports/],
		['/[::1]/v1', /Ports and IPv6/],
		['/127.0.0.1/v1', /IP addresses/],
		['/127.1/v1', /IP addresses/],
		['/0x7f.0.0.1/v1', /IP addresses/],
		['/localhost/v1', /full domain/],
		['/api.hetzner.cloud\\@evil.example/v1', /Backslash/],
		['/api.hetzner.cloud/v1\\servers', /Backslash/],
		['/api.hetzner.cloud/v1//servers', /double slashes/],
		['/api.hetzner.cloud/v1/../admin', /Dot segments/],
		['/api.hetzner.cloud/v1/./servers', /Dot segments/],
		['/api.hetzner.cloud/v1/%2e%2e/admin', /Encoded/],
		['/api.hetzner.cloud/v1%2fservers', /Encoded/],
		['/api.hetzner.cloud/v1/servers%00', /Encoded/],
		['/api.hetzner.cloud/v1/serv ers', /characters/],
		['/bücher.example/v1', /characters/],
		['/api.hetzner.cloud/v1/servers?a=<x>', /query/],
		['/-bad.example/v1', /characters/]
	])('refuses %j', (rest, reason) => {
		const result = parseProxiedPath(rest);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.reason).toMatch(reason);
	});

	it('keeps the path and query raw', () => {
		expect(parseProxiedPath('/api.hetzner.cloud/v1/servers?label_selector=a%3Db&page=2')).toEqual({
			ok: true,
			target: { host: 'api.hetzner.cloud', path: '/v1/servers', search: '?label_selector=a%3Db&page=2' }
		});
		expect(parseProxiedPath('/xn--bcher-kva.example')).toEqual({
			ok: true,
			target: { host: 'xn--bcher-kva.example', path: '/', search: '' }
		});
	});
});

describe('checkProxyBase', () => {
	it.each([
		['https://proxy.example.org', 'https://proxy.example.org'],
		['  https://proxy.example.org/relay/  ', 'https://proxy.example.org/relay'],
		['http://127.0.0.1:4173/proxy', 'http://127.0.0.1:4173/proxy'],
		['http://localhost:8787', 'http://localhost:8787'],
		['http://[::1]:8787/', 'http://[::1]:8787']
	])('accepts %j', (input, base) => {
		expect(checkProxyBase(input)).toEqual({ ok: true, base });
	});

	it.each([
		['', /Enter/],
		['proxy.example.org', /not a web address/],
		['http://proxy.example.org', /Plain http/],
		['http://192.168.1.2:8787', /Plain http/],
		['ftp://proxy.example.org', /https/],
		['https://me:pw@proxy.example.org', /user name/],
		['https://proxy.example.org/?x=1', /"\?"/],
		['https://proxy.example.org/#x', /"#"/],
		['javascript:alert(1)', /https/]
	])('refuses %j', (input, reason) => {
		const result = checkProxyBase(input);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.reason).toMatch(reason);
	});
});

describe('policyAllowsConnect', () => {
	const self = 'https://app.example';
	const policy =
		"default-src 'none'; connect-src 'self' https://api.digitalocean.com https://relay.example/; img-src 'self'";
	it.each([
		[policy, 'https://relay.example/base', true],
		[policy, 'https://api.digitalocean.com', true],
		[policy, 'https://app.example/proxy', true],
		[policy, 'https://other.example', false],
		[policy, 'https://relay.example:8443', false],
		["default-src 'self'", 'https://app.example/proxy', true],
		["default-src 'self'", 'https://relay.example', false],
		["img-src 'self'", 'https://relay.example', true],
		[null, 'https://relay.example', true]
	])('%s → %s: %s', (csp, address, allowed) => {
		expect(policyAllowsConnect(csp, address, self)).toBe(allowed);
	});
});
