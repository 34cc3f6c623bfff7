/**
 * Addresses the relay must never reach (Node entry): private, loopback, link-local,
 * carrier-grade NAT, unique-local, multicast, documentation and reserved ranges, and the
 * IPv6 forms that carry an IPv4 address inside (mapped, NAT64, 6to4, Teredo), which could
 * hide any of the former. Allowed are ordinary public unicast addresses only.
 */
import { BlockList, isIP } from 'node:net';
import { BLOCKED_V4 } from './public-ip.ts';

// Two lists: a BlockList compares IPv4 addresses with IPv6 rules in mapped form, so one
// list holding ::ffff:0:0/96 would block every IPv4 address.
const blocked4 = new BlockList();
const blocked6 = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
	['::', 128],
	['::1', 128],
	['::ffff:0:0', 96], // IPv4-mapped
	['::', 96], // IPv4-compatible (deprecated)
	['64:ff9b::', 96], // NAT64
	['64:ff9b:1::', 48], // local-use NAT64
	['100::', 64], // discard
	['2001::', 32], // Teredo
	['2001:db8::', 32], // documentation
	['2002::', 16], // 6to4
	['fc00::', 7], // unique local (ULA)
	['fe80::', 10], // link-local
	['fec0::', 10], // site-local (deprecated)
	['ff00::', 8] // multicast
] as const)
	blocked6.addSubnet(net, prefix, 'ipv6');

/** True when the relay may connect to this literal address. */
export function isPublicAddress(address: string): boolean {
	const family = isIP(address);
	if (family === 0) return false;
	return family === 4 ? !blocked4.check(address, 'ipv4') : !blocked6.check(address, 'ipv6');
}
