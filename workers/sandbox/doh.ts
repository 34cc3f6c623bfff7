/**
 * A stand-in for the public DNS-over-HTTPS JSON resolvers (cloudflare-dns.com/dns-query,
 * dns.google/resolve): answers `?name=&type=` from a lookup function, e.g. the DNS fakes'
 * state, in the same JSON shape (Status, Answer[{name, type, TTL, data}]).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const NUMBERS: Record<string, number> = { A: 1, CNAME: 5, TXT: 16, AAAA: 28, CAA: 257, NS: 2 };

export type Lookup = (name: string, type: string) => { values: string[]; ttl: number } | undefined;

export function dohAnswer(lookup: Lookup, name: string, type: string) {
	const fqdn = name.toLowerCase().replace(/\.$/, '');
	const found = lookup(fqdn, type);
	return {
		Status: found ? 0 : 3,
		TC: false,
		RD: true,
		RA: true,
		AD: false,
		CD: false,
		Question: [{ name: fqdn + '.', type: NUMBERS[type] ?? 0 }],
		...(found
			? { Answer: found.values.map((data) => ({ name: fqdn + '.', type: NUMBERS[type] ?? 0, TTL: found.ttl, data })) }
			: {})
	};
}

export function dohHandler(lookup: Lookup) {
	return (req: IncomingMessage, res: ServerResponse) => {
		const url = new URL(req.url ?? '/', 'http://local');
		const name = url.searchParams.get('name');
		const type = (url.searchParams.get('type') ?? 'A').toUpperCase();
		if (!name) {
			res.writeHead(400, { 'content-type': 'application/dns-json' }).end('{"error":"name is required"}');
			return;
		}
		res
			.writeHead(200, { 'content-type': 'application/dns-json', 'cache-control': 'no-store' })
			.end(JSON.stringify(dohAnswer(lookup, name, type)));
	};
}
