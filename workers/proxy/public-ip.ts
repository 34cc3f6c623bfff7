/**
 * Whether a literal IP address is an ordinary public unicast address, in plain TypeScript
 * (no Node built-ins), for the Workers entry: the same ranges as address.ts refuses
 * (private, loopback, link-local, CGNAT, documentation, reserved, multicast, and the IPv6
 * forms that embed IPv4). IPv6 is allowed only inside global unicast (2000::/3).
 */

function v4(address: string): number | undefined {
	const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
	if (!m) return undefined;
	const parts = m.slice(1).map(Number);
	if (parts.some((p) => p > 255)) return undefined;
	return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** The IPv4 ranges the relay never reaches; the Node entry (address.ts) refuses the same list. */
export const BLOCKED_V4: readonly (readonly [string, number])[] = [
	['0.0.0.0', 8],
	['10.0.0.0', 8],
	['100.64.0.0', 10],
	['127.0.0.0', 8],
	['169.254.0.0', 16],
	['172.16.0.0', 12],
	['192.0.0.0', 24],
	['192.0.2.0', 24],
	['192.88.99.0', 24],
	['192.168.0.0', 16],
	['198.18.0.0', 15],
	['198.51.100.0', 24],
	['203.0.113.0', 24],
	['224.0.0.0', 4],
	['240.0.0.0', 4]
];

function inV4(n: number, net: string, prefix: number): boolean {
	const base = v4(net)!;
	const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
	return (n & mask) >>> 0 === (base & mask) >>> 0;
}

/** The 8 groups of an IPv6 address, or undefined when it is not one. */
function v6(address: string): number[] | undefined {
	if (!/^[0-9a-f:.]+$/i.test(address) || address.includes(':::')) return undefined;
	let text = address.toLowerCase();
	const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
	if (tail) {
		const n = v4(tail[1]!);
		if (n === undefined) return undefined;
		text = text.slice(0, -tail[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
	}
	const halves = text.split('::');
	if (halves.length > 2) return undefined;
	const head = halves[0] ? halves[0].split(':') : [];
	const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
	const missing = 8 - head.length - rest.length;
	if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
	const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
	if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
	return groups.map((g) => parseInt(g, 16));
}

const BLOCKED_V6: [number[], number][] = [
	[[0x2001, 0], 32], // Teredo
	[[0x2001, 0xdb8], 32], // documentation
	[[0x2002], 16] // 6to4
];

export function isPublicIp(address: string): boolean {
	const n = v4(address);
	if (n !== undefined) return !BLOCKED_V4.some(([net, prefix]) => inV4(n, net, prefix));
	const g = v6(address);
	if (!g) return false;
	// Global unicast only: 2000::/3.
	if ((g[0]! & 0xe000) !== 0x2000) return false;
	return !BLOCKED_V6.some(([net, prefix]) => {
		for (let bit = 0; bit < prefix; bit += 16) {
			const i = bit / 16;
			const width = Math.min(16, prefix - bit);
			const mask = (0xffff << (16 - width)) & 0xffff;
			if ((g[i]! & mask) !== ((net[i] ?? 0) & mask)) return false;
		}
		return true;
	});
}
