/**
 * The one rule for which addresses the relay may connect to, shared by the Node entry
 * (node.ts, on the addresses its resolver returns) and the Workers entry (worker.ts, on
 * the answers of DNS-over-HTTPS). Plain TypeScript without imports, so that wrangler can
 * bundle it for Workers.
 *
 * An address is public only when it is unicast inside the global ranges (IPv4 below
 * 224.0.0.0, which leaves out multicast and 240.0.0.0/4; IPv6 inside global unicast
 * 2000::/3) and outside every block of the IANA "IPv4 Special-Purpose Address Registry"
 * and "IPv6 Special-Purpose Address Registry" whose "Globally Reachable" is False (plus
 * the deprecated 6to4 blocks, marked N/A there). A block the registries mark globally
 * reachable but that lies inside one marked False (192.0.0.9/32 and 192.0.0.10/32 in
 * 192.0.0.0/24; 2001:1::1/128, 2001:3::/32, 2001:4:112::/48, 2001:20::/28 and
 * 2001:30::/28 in 2001::/23) is refused with it: none of them is anyone's server.
 *
 * IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:0:0/96, IPv4-translated
 * ::ffff:0:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4
 * 2002::/16, Teredo 2001::/32) are refused, not decoded: a server has its IPv4 address in
 * an A record, and refusing is simpler to get right than decoding.
 *
 * Parsing is strict, and anything it does not take is not public: IPv4 only as a dotted
 * quad of decimal numbers without leading zeros (no octal, hex, integer or short forms);
 * IPv6 as eight groups of 1 to 4 hex digits, with at most one `::` and an optional
 * dotted-quad tail in the last 32 bits; no zone id (`%eth0`), no brackets, no spaces.
 */

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** The 32 bits of a dotted-quad IPv4 address, or undefined when `text` is not one. */
export function parseIPv4(text: string): bigint | undefined {
	const m = DOTTED_QUAD.exec(text);
	if (!m) return undefined;
	return m.slice(1).reduce((n, octet) => (n << 8n) | BigInt(octet), 0n);
}

/** The 128 bits of an IPv6 address, or undefined when `text` is not one. */
export function parseIPv6(text: string): bigint | undefined {
	if (text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
	let hex = text;
	if (text.includes('.')) {
		// The dotted-quad tail stands for the last two groups.
		const colon = text.lastIndexOf(':');
		const tail = colon === -1 ? undefined : parseIPv4(text.slice(colon + 1));
		if (tail === undefined) return undefined;
		hex = `${text.slice(0, colon + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
	}
	const halves = hex.split('::');
	if (halves.length > 2) return undefined;
	const groups = (half: string) => (half === '' ? [] : half.split(':'));
	const left = groups(halves[0]!);
	const right = halves.length === 2 ? groups(halves[1]!) : [];
	if (![...left, ...right].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
	const given = left.length + right.length;
	if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
	const all = [...left, ...Array<string>(8 - given).fill('0'), ...right];
	return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

type Block = readonly [network: string, prefix: number, name: string];

/** IANA IPv4 Special-Purpose Address Registry: the blocks whose "Globally Reachable" is False. */
const SPECIAL_V4: readonly Block[] = [
	['0.0.0.0', 8, '"This network"'],
	['10.0.0.0', 8, 'Private-Use'],
	['100.64.0.0', 10, 'Shared Address Space (carrier-grade NAT)'],
	['127.0.0.0', 8, 'Loopback'],
	['169.254.0.0', 16, 'Link Local'],
	['172.16.0.0', 12, 'Private-Use'],
	['192.0.0.0', 24, 'IETF Protocol Assignments'],
	['192.0.2.0', 24, 'Documentation (TEST-NET-1)'],
	['192.88.99.0', 24, 'Deprecated (6to4 Relay Anycast), N/A'],
	['192.168.0.0', 16, 'Private-Use'],
	['198.18.0.0', 15, 'Benchmarking'],
	['198.51.100.0', 24, 'Documentation (TEST-NET-2)'],
	['203.0.113.0', 24, 'Documentation (TEST-NET-3)'],
	['240.0.0.0', 4, 'Reserved'],
	['255.255.255.255', 32, 'Limited Broadcast']
];

/**
 * IANA IPv6 Special-Purpose Address Registry: the blocks whose "Globally Reachable" is
 * False (and 6to4 and Teredo, N/A there). Most lie outside 2000::/3 and are refused by
 * that already; they are listed so that this table can be read against the registry.
 */
const SPECIAL_V6: readonly Block[] = [
	['::', 128, 'Unspecified Address'],
	['::1', 128, 'Loopback Address'],
	['::ffff:0:0', 96, 'IPv4-mapped Address'],
	['64:ff9b:1::', 48, 'IPv4-IPv6 Translat. (local use)'],
	['100::', 64, 'Discard-Only Address Block'],
	['100:0:0:1::', 64, 'Dummy IPv6 Prefix'],
	['2001::', 23, 'IETF Protocol Assignments'],
	['2001::', 32, 'TEREDO, N/A'],
	['2001:2::', 48, 'Benchmarking'],
	['2001:10::', 28, 'Deprecated (previously ORCHID)'],
	['2001:db8::', 32, 'Documentation'],
	['2002::', 16, '6to4, N/A'],
	['3fff::', 20, 'Documentation'],
	['5f00::', 16, 'Segment Routing (SRv6) SIDs'],
	['fc00::', 7, 'Unique-Local'],
	['fe80::', 10, 'Link-Local Unicast']
];

interface Range {
	network: bigint;
	shift: bigint;
}

function ranges(blocks: readonly Block[], parse: (text: string) => bigint | undefined, bits: number): Range[] {
	return blocks.map(([text, prefix]) => {
		const network = parse(text);
		if (network === undefined) throw new Error(`The address table holds a malformed network: ${text}`);
		const shift = BigInt(bits - prefix);
		return { network: network >> shift, shift };
	});
}

const V4 = ranges(SPECIAL_V4, parseIPv4, 32);
const V6 = ranges(SPECIAL_V6, parseIPv6, 128);
const inside = (address: bigint) => (r: Range) => address >> r.shift === r.network;

/** True when the relay may connect to this literal address (see above); false for anything else. */
export function isPublicAddress(address: string): boolean {
	const v4 = parseIPv4(address);
	// Unicast: below 224.0.0.0 (multicast 224.0.0.0/4 and reserved 240.0.0.0/4 are above).
	if (v4 !== undefined) return v4 < 0xe0000000n && !V4.some(inside(v4));
	const v6 = parseIPv6(address);
	// Global unicast: 2000::/3.
	if (v6 === undefined || v6 >> 125n !== 1n) return false;
	return !V6.some(inside(v6));
}
