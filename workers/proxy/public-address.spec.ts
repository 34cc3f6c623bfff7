/**
 * The relay's one address rule (public-address.ts), against the IANA IPv4 and IPv6
 * Special-Purpose Address Registries: both edges of each block, the global ranges around
 * them, the IPv6 forms that carry IPv4, and the text forms a strict parser must refuse.
 */
import { describe, expect, it } from 'vitest';
import { isPublicAddress, parseIPv4, parseIPv6 } from './public-address.ts';

const PUBLIC = true;
const NOT = false;

const TABLE: readonly (readonly [address: string, expected: boolean, why: string])[] = [
	// IPv4: real public addresses, and the first and last address around each block.
	['1.1.1.1', PUBLIC, 'Cloudflare DNS'],
	['9.9.9.9', PUBLIC, 'Quad9'],
	['8.8.8.8', PUBLIC, 'Google DNS'],
	['95.217.10.20', PUBLIC, 'a Hetzner server'],
	['0.0.0.0', NOT, '"this network" 0.0.0.0/8, first'],
	['0.255.255.255', NOT, '"this network" 0.0.0.0/8, last'],
	['1.0.0.0', PUBLIC, 'just above 0.0.0.0/8'],
	['9.255.255.255', PUBLIC, 'just below 10.0.0.0/8'],
	['10.0.0.0', NOT, 'private-use 10.0.0.0/8, first'],
	['10.255.255.255', NOT, 'private-use 10.0.0.0/8, last'],
	['11.0.0.0', PUBLIC, 'just above 10.0.0.0/8'],
	['100.63.255.255', PUBLIC, 'just below 100.64.0.0/10'],
	['100.64.0.0', NOT, 'shared address space (CGNAT) 100.64.0.0/10, first'],
	['100.100.100.200', NOT, 'shared address space (CGNAT), a cloud metadata address'],
	['100.127.255.255', NOT, 'shared address space (CGNAT) 100.64.0.0/10, last'],
	['100.128.0.0', PUBLIC, 'just above 100.64.0.0/10'],
	['126.255.255.255', PUBLIC, 'just below 127.0.0.0/8'],
	['127.0.0.1', NOT, 'loopback'],
	['127.255.255.255', NOT, 'loopback 127.0.0.0/8, last'],
	['128.0.0.0', PUBLIC, 'just above 127.0.0.0/8'],
	['169.253.255.255', PUBLIC, 'just below 169.254.0.0/16'],
	['169.254.0.0', NOT, 'link local 169.254.0.0/16, first'],
	['169.254.169.254', NOT, 'link local, the cloud metadata address'],
	['169.254.255.255', NOT, 'link local 169.254.0.0/16, last'],
	['169.255.0.0', PUBLIC, 'just above 169.254.0.0/16'],
	['172.15.255.255', PUBLIC, 'just below 172.16.0.0/12'],
	['172.16.0.0', NOT, 'private-use 172.16.0.0/12, first'],
	['172.31.255.255', NOT, 'private-use 172.16.0.0/12, last'],
	['172.32.0.0', PUBLIC, 'just above 172.16.0.0/12'],
	['191.255.255.255', PUBLIC, 'just below 192.0.0.0/24'],
	['192.0.0.0', NOT, 'IETF protocol assignments 192.0.0.0/24, first'],
	['192.0.0.9', NOT, 'PCP anycast, globally reachable but inside 192.0.0.0/24'],
	['192.0.0.170', NOT, 'NAT64/DNS64 discovery'],
	['192.0.0.255', NOT, 'IETF protocol assignments 192.0.0.0/24, last'],
	['192.0.1.0', PUBLIC, 'just above 192.0.0.0/24'],
	['192.0.2.0', NOT, 'documentation TEST-NET-1 192.0.2.0/24, first'],
	['192.0.2.255', NOT, 'documentation TEST-NET-1, last'],
	['192.0.3.0', PUBLIC, 'just above TEST-NET-1'],
	['192.31.196.1', PUBLIC, 'AS112-v4, globally reachable'],
	['192.52.193.1', PUBLIC, 'AMT, globally reachable'],
	['192.88.98.255', PUBLIC, 'just below 192.88.99.0/24'],
	['192.88.99.1', NOT, 'deprecated 6to4 relay anycast 192.88.99.0/24'],
	['192.88.100.0', PUBLIC, 'just above 192.88.99.0/24'],
	['192.167.255.255', PUBLIC, 'just below 192.168.0.0/16'],
	['192.168.0.0', NOT, 'private-use 192.168.0.0/16, first'],
	['192.168.255.255', NOT, 'private-use 192.168.0.0/16, last'],
	['192.169.0.0', PUBLIC, 'just above 192.168.0.0/16'],
	['198.17.255.255', PUBLIC, 'just below 198.18.0.0/15'],
	['198.18.0.0', NOT, 'benchmarking 198.18.0.0/15, first'],
	['198.19.255.255', NOT, 'benchmarking 198.18.0.0/15, last'],
	['198.20.0.0', PUBLIC, 'just above 198.18.0.0/15'],
	['198.51.99.255', PUBLIC, 'just below TEST-NET-2'],
	['198.51.100.7', NOT, 'documentation TEST-NET-2 198.51.100.0/24'],
	['198.51.101.0', PUBLIC, 'just above TEST-NET-2'],
	['203.0.112.255', PUBLIC, 'just below TEST-NET-3'],
	['203.0.113.255', NOT, 'documentation TEST-NET-3 203.0.113.0/24, last'],
	['203.0.114.0', PUBLIC, 'just above TEST-NET-3'],
	['223.255.255.255', PUBLIC, 'the last unicast address below multicast'],
	['224.0.0.0', NOT, 'multicast 224.0.0.0/4, first'],
	['224.0.0.251', NOT, 'multicast (mDNS)'],
	['239.255.255.255', NOT, 'multicast 224.0.0.0/4, last'],
	['240.0.0.0', NOT, 'reserved 240.0.0.0/4, first'],
	['255.255.255.254', NOT, 'reserved 240.0.0.0/4'],
	['255.255.255.255', NOT, 'limited broadcast'],

	// IPv6: real public addresses, and the edges of global unicast and of each block.
	['2606:4700:4700::1111', PUBLIC, 'Cloudflare DNS'],
	['2a01:4f8::1', PUBLIC, 'Hetzner'],
	['2001:4860:4860::8888', PUBLIC, 'Google DNS'],
	['2a01:4f8:c17:1::5', PUBLIC, 'a Hetzner server'],
	['2A01:4F8::1', PUBLIC, 'uppercase hex digits'],
	['2a01:04f8:0000:0000:0000:0000:0000:0001', PUBLIC, 'written out in full'],
	['2a01:4f8::1.2.3.4', PUBLIC, 'a dotted-quad tail inside global unicast'],
	['::', NOT, 'unspecified'],
	['::1', NOT, 'loopback'],
	['::ffff:0:0', NOT, 'IPv4-mapped ::ffff:0:0/96, first'],
	['::ffff:127.0.0.1', NOT, 'IPv4-mapped loopback'],
	['::ffff:8.8.8.8', NOT, 'IPv4-mapped, even of a public address'],
	['::ffff:0:1.1.1.1', NOT, 'IPv4-translated ::ffff:0:0:0/96'],
	['::1.1.1.1', NOT, 'IPv4-compatible ::/96'],
	['64:ff9b::1.1.1.1', NOT, 'NAT64 64:ff9b::/96'],
	['64:ff9b::a00:1', NOT, 'NAT64 of 10.0.0.1'],
	['64:ff9b:1::1', NOT, 'local-use NAT64 64:ff9b:1::/48'],
	['100::1', NOT, 'discard-only 100::/64'],
	['100:0:0:1::1', NOT, 'dummy prefix 100:0:0:1::/64'],
	['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', NOT, 'just below 2000::/3'],
	['2000::1', PUBLIC, 'the start of global unicast 2000::/3'],
	['2001::1', NOT, 'Teredo 2001::/32'],
	['2001:0:4136:e378:8000:63bf:3fff:fdd2', NOT, 'Teredo, a real-world form'],
	['2001:1::1', NOT, 'PCP anycast, globally reachable but inside 2001::/23'],
	['2001:2::1', NOT, 'benchmarking 2001:2::/48, first'],
	['2001:2:0:ffff:ffff:ffff:ffff:ffff', NOT, 'benchmarking 2001:2::/48, last'],
	['2001:3::1', NOT, 'AMT, globally reachable but inside 2001::/23'],
	['2001:10::1', NOT, 'deprecated ORCHID 2001:10::/28, first'],
	['2001:1f:ffff::1', NOT, 'deprecated ORCHID 2001:10::/28, last'],
	['2001:20::1', NOT, 'ORCHIDv2, globally reachable but inside 2001::/23'],
	['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', NOT, 'IETF protocol assignments 2001::/23, last'],
	['2001:200::1', PUBLIC, 'just above 2001::/23'],
	['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', PUBLIC, 'just below 2001:db8::/32'],
	['2001:db8::1', NOT, 'documentation 2001:db8::/32'],
	['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', NOT, 'documentation 2001:db8::/32, last'],
	['2001:db9::', PUBLIC, 'just above 2001:db8::/32'],
	['2001:db8::192.0.2.1', NOT, 'documentation, with a dotted-quad tail'],
	['2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff', PUBLIC, 'just below 2002::/16'],
	['2002::1', NOT, '6to4 2002::/16'],
	['2002:a00:1::1', NOT, '6to4 of 10.0.0.1'],
	['2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', NOT, '6to4 2002::/16, last'],
	['2003::', PUBLIC, 'just above 2002::/16'],
	['2620:4f:8000::1', PUBLIC, 'AS112 direct delegation, globally reachable'],
	['3ffe:ffff::1', PUBLIC, 'just below 3fff::/20'],
	['3fff::1', NOT, 'documentation 3fff::/20, first'],
	['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', NOT, 'documentation 3fff::/20, last'],
	['3fff:1000::', PUBLIC, 'just above 3fff::/20, the end of 2000::/3'],
	['4000::1', NOT, 'just above 2000::/3'],
	['5f00::1', NOT, 'SRv6 SIDs 5f00::/16'],
	['fc00::1', NOT, 'unique-local fc00::/7, first half'],
	['fd12:3456::1', NOT, 'unique-local fc00::/7'],
	['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', NOT, 'unique-local fc00::/7, last'],
	['fe80::1', NOT, 'link-local fe80::/10'],
	['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', NOT, 'link-local fe80::/10, last'],
	['fec0::1', NOT, 'deprecated site-local, outside 2000::/3'],
	['ff00::', NOT, 'multicast ff00::/8, first'],
	['ff02::1', NOT, 'multicast, all nodes'],

	// Text the parser must refuse, each of which reads as a public address to a lenient one.
	['1.1.1.01', NOT, 'a leading zero (octal to some parsers)'],
	['01.1.1.1', NOT, 'a leading zero in the first octet'],
	['0x1.1.1.1', NOT, 'a hex octet'],
	['16843009', NOT, '1.1.1.1 as one integer'],
	['1.1.257', NOT, 'a short form'],
	['1.1.1', NOT, 'three octets'],
	['1.1.1.1.1', NOT, 'five octets'],
	['1.1.1.256', NOT, 'an octet above 255'],
	[' 1.1.1.1', NOT, 'a leading space'],
	['1.1.1.1\n', NOT, 'a trailing newline'],
	['2606:4700:4700::1111%eth0', NOT, 'a zone id'],
	['[2606:4700:4700::1111]', NOT, 'brackets'],
	['2606:4700:4700:::1111', NOT, 'three colons'],
	['2606::4700::1111', NOT, 'two compressions'],
	['2606:4700:4700:0:0:0:0:1111:1', NOT, 'nine groups'],
	['2606:4700:4700:0:0:0:1111', NOT, 'seven groups without compression'],
	['2606:47000::1', NOT, 'a group of five digits'],
	[':2606:4700::1', NOT, 'a single leading colon'],
	['2606:4700::1:', NOT, 'a single trailing colon'],
	['2a01:4f8::1.1.1', NOT, 'a short dotted-quad tail'],
	['2a01:4f8::01.1.1.1', NOT, 'a dotted-quad tail with a leading zero'],
	['2a01:4f8::1.1.1.1:1', NOT, 'a dotted quad that is not the tail'],
	['2a01:4f8:0:0:0:0:0:1.1.1.1', NOT, 'a dotted-quad tail after seven groups'],
	['g::1', NOT, 'not a hex digit'],
	['', NOT, 'empty'],
	['dns.example', NOT, 'a host name']
];

describe('isPublicAddress', () => {
	it('has a table of at least 40 addresses, both verdicts, both families', () => {
		expect(TABLE.length).toBeGreaterThanOrEqual(40);
		for (const verdict of [PUBLIC, NOT]) {
			expect(TABLE.some(([a, v]) => v === verdict && a.includes(':'))).toBe(true);
			expect(TABLE.some(([a, v]) => v === verdict && !a.includes(':'))).toBe(true);
		}
	});

	it.each(TABLE)('%j → %s (%s)', (address, expected) => {
		expect(isPublicAddress(address)).toBe(expected);
	});
});

describe('the strict parsers', () => {
	it('read the forms they take to the right bits', () => {
		expect(parseIPv4('192.168.1.2')).toBe(0xc0a80102n);
		expect(parseIPv4('0.0.0.0')).toBe(0n);
		expect(parseIPv4('255.255.255.255')).toBe(0xffffffffn);
		expect(parseIPv6('::')).toBe(0n);
		expect(parseIPv6('::1')).toBe(1n);
		expect(parseIPv6('1::')).toBe(1n << 112n);
		expect(parseIPv6('2001:db8::1:0:0:1')).toBe(0x20010db8000000000001000000000001n);
		expect(parseIPv6('::ffff:192.0.2.1')).toBe(0xffffc0000201n);
		expect(parseIPv6('1:2:3:4:5:6:7::')).toBe(0x00010002000300040005000600070000n);
		expect(parseIPv6('::2:3:4:5:6:7:8')).toBe(0x00000002000300040005000600070008n);
	});

	it('take neither family for the other', () => {
		expect(parseIPv4('::1')).toBeUndefined();
		expect(parseIPv6('1.1.1.1')).toBeUndefined();
	});
});
