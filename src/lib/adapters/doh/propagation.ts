/**
 * Is a record live yet? Asks public DNS-over-HTTPS resolvers (JSON API) and counts a record
 * as live only when every resolver returns all of its values. Resolvers cache negative
 * answers, so callers poll with a bounded budget and show the wait.
 */
import { ProviderError } from '../../core/errors.ts';
import { canonicalValue, formatCaa, normalizeName } from '../../core/dns/names.ts';
import type { RecordSet, RecordType } from '../../ports/dns.ts';
import type { HttpClient } from '../../ports/http.ts';
import { platformFetch, realSleep, type Sleep } from '../http/chain.ts';

export interface DohEndpoint {
	name: string;
	/** JSON API endpoint taking `?name=&type=`. */
	url: string;
}

export const PUBLIC_DOH: readonly DohEndpoint[] = [
	{ name: 'Cloudflare', url: 'https://cloudflare-dns.com/dns-query' },
	{ name: 'Google', url: 'https://dns.google/resolve' }
];

const TYPE_NUMBERS: Record<RecordType, number> = { A: 1, CNAME: 5, TXT: 16, AAAA: 28, CAA: 257 };

export interface DohOptions {
	http?: HttpClient;
	endpoints?: readonly DohEndpoint[];
}

/** RFC 3597 generic form (`\# 22 00 05 69 73 …`), which some resolvers use for CAA. */
function decodeGenericCaa(data: string): string | undefined {
	const m = /^\\#\s+\d+\s+([0-9a-f\s]+)$/i.exec(data.trim());
	if (!m) return undefined;
	const bytes =
		m[1]!
			.replace(/\s+/g, '')
			.match(/../g)
			?.map((h) => parseInt(h, 16)) ?? [];
	const flags = bytes[0] ?? 0;
	const tagLength = bytes[1] ?? 0;
	const tag = String.fromCharCode(...bytes.slice(2, 2 + tagLength));
	const value = String.fromCharCode(...bytes.slice(2 + tagLength));
	return formatCaa({ flags, tag, value });
}

function answerValue(type: RecordType, data: string): string | undefined {
	try {
		if (type === 'CAA') return canonicalValue(type, decodeGenericCaa(data) ?? data);
		return canonicalValue(type, data);
	} catch {
		return undefined;
	}
}

/** What one resolver currently answers for `name`/`type`, in canonical form. */
export async function resolve(
	endpoint: DohEndpoint,
	name: string,
	type: RecordType,
	options: DohOptions = {}
): Promise<string[]> {
	const http = options.http ?? platformFetch;
	const url = `${endpoint.url}?name=${encodeURIComponent(normalizeName(name))}&type=${type}`;
	let response: Response;
	try {
		response = await http(
			new Request(url, { headers: { accept: 'application/dns-json' }, signal: AbortSignal.timeout(10_000) })
		);
	} catch {
		throw new ProviderError({
			code: 'network',
			provider: endpoint.name,
			message: `The ${endpoint.name} DNS check could not be reached.`,
			action: 'Check your internet connection; the check runs again by itself.'
		});
	}
	if (!response.ok)
		throw new ProviderError({
			code: 'unavailable',
			provider: endpoint.name,
			status: response.status,
			message: `The ${endpoint.name} DNS check answered ${response.status}.`,
			action: 'Wait a little; the check runs again by itself.'
		});
	const body = (await response.json()) as { Status: number; Answer?: { name: string; type: number; data: string }[] };
	if (body.Status !== 0) return [];
	return (body.Answer ?? [])
		.filter((a) => a.type === TYPE_NUMBERS[type])
		.map((a) => answerValue(type, a.data))
		.filter((v): v is string => v !== undefined);
}

export interface Propagation {
	live: boolean;
	/** Per resolver: the values it answered. */
	seen: Record<string, string[]>;
}

export async function checkPropagation(record: RecordSet, options: DohOptions = {}): Promise<Propagation> {
	const endpoints = options.endpoints ?? PUBLIC_DOH;
	const wanted = record.values.map((v) => canonicalValue(record.type, v));
	const seen: Record<string, string[]> = {};
	let live = true;
	await Promise.all(
		endpoints.map(async (e) => {
			const values = await resolve(e, record.name, record.type, options).catch((): string[] => []);
			seen[e.name] = values;
			if (!wanted.every((w) => values.includes(w))) live = false;
		})
	);
	return { live, seen };
}

export interface WaitOptions extends DohOptions {
	intervalMs?: number;
	timeoutMs?: number;
	sleep?: Sleep;
	signal?: AbortSignal;
	progress?: (note: { message: string; fraction?: number }) => void;
}

/** Polls until every resolver sees the record (bounded in time and count). */
export async function waitForPropagation(record: RecordSet, options: WaitOptions = {}): Promise<Propagation> {
	const intervalMs = options.intervalMs ?? 10_000;
	const timeoutMs = options.timeoutMs ?? 15 * 60_000;
	const sleep = options.sleep ?? realSleep;
	const started = Date.now();
	const maxChecks = Math.ceil(timeoutMs / intervalMs) + 1;
	let last: Propagation = { live: false, seen: {} };
	for (let i = 0; i < maxChecks; i++) {
		last = await checkPropagation(record, options);
		if (last.live) {
			options.progress?.({ message: `${record.name} is live`, fraction: 1 });
			return last;
		}
		const elapsed = Date.now() - started;
		if (elapsed >= timeoutMs) break;
		options.progress?.({
			message: `Waiting for ${record.name} to reach public DNS`,
			fraction: Math.min(0.95, elapsed / timeoutMs)
		});
		await sleep(intervalMs, options.signal);
	}
	return last;
}
