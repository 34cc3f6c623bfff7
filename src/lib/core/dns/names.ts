/**
 * Pure DNS helpers shared by every DNS adapter: names, zones by longest suffix, and the
 * presentation form of values (what `RecordSet.values` holds).
 */
/** The record types nassella manages (the DNS port uses these types: core may not import ports). */
export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'CAA' | 'TXT';

/** One record set: a name and type with all its values. */
export interface RecordSet {
	/** Fully qualified, lowercase, no trailing dot (e.g. "photos.example.org"). */
	name: string;
	type: RecordType;
	ttl: number;
	/** Values in the zone-file presentation form (e.g. `0 issue "letsencrypt.org"` for CAA). */
	values: string[];
}

export interface Zone {
	id: string;
	/** Lowercase, no trailing dot. */
	name: string;
}

/** Lowercase, no trailing dot. */
export function normalizeName(name: string): string {
	return name.trim().toLowerCase().replace(/\.$/, '');
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

export function isValidHostname(name: string): boolean {
	const n = normalizeName(name);
	return n.length > 0 && n.length <= 253 && n.split('.').every((l) => LABEL.test(l) || l === '*');
}

/** The zone holding `fqdn`: the longest zone name equal to it or a dot-suffix of it. */
export function longestSuffixZone<Z extends Zone>(fqdn: string, zones: readonly Z[]): Z | undefined {
	const name = normalizeName(fqdn);
	let best: Z | undefined;
	for (const z of zones) {
		const zn = normalizeName(z.name);
		if ((name === zn || name.endsWith('.' + zn)) && (!best || zn.length > normalizeName(best.name).length)) best = z;
	}
	return best;
}

/** "photos.example.org" in zone "example.org" → "photos"; the apex → "". */
export function relativeName(fqdn: string, zone: Pick<Zone, 'name'>): string {
	const name = normalizeName(fqdn);
	const zn = normalizeName(zone.name);
	if (name === zn) return '';
	if (!name.endsWith('.' + zn)) throw new Error(`${name} is not inside ${zn}.`);
	return name.slice(0, -(zn.length + 1));
}

export function absoluteName(relative: string, zone: Pick<Zone, 'name'>): string {
	const r = normalizeName(relative);
	return r === '' || r === '@' ? normalizeName(zone.name) : `${r}.${normalizeName(zone.name)}`;
}

/** The CAA record set that allows only Let's Encrypt to issue certificates for `name`. */
export function letsEncryptCaa(name: string, ttl = 3600): RecordSet {
	return { name: normalizeName(name), type: 'CAA', ttl, values: ['0 issue "letsencrypt.org"'] };
}

export interface Caa {
	flags: number;
	tag: string;
	value: string;
}

export function parseCaa(presentation: string): Caa {
	const m = /^\s*(\d{1,3})\s+([a-z0-9]+)\s+"?(.*?)"?\s*$/i.exec(presentation);
	if (!m) throw new Error(`Not a CAA value: ${presentation}`);
	return { flags: Number(m[1]), tag: m[2]!.toLowerCase(), value: m[3]! };
}

export function formatCaa(caa: Caa): string {
	return `${caa.flags} ${caa.tag} "${caa.value}"`;
}

/** TXT text without the presentation quotes (one string; long strings joined). */
export function txtText(presentation: string): string {
	const parts = [...presentation.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
	return parts.length ? parts.join('') : presentation;
}

export function txtPresentation(text: string): string {
	const escaped = text.replace(/(["\\])/g, '\\$1');
	const chunks = escaped.match(/.{1,255}/g) ?? [''];
	return chunks.map((c) => `"${c}"`).join(' ');
}

/** One canonical form per value, so values from any provider compare equal. */
export function canonicalValue(type: RecordType, value: string): string {
	switch (type) {
		case 'A':
			return value.trim();
		case 'AAAA':
			return value.trim().toLowerCase();
		case 'CNAME':
			return normalizeName(value);
		case 'CAA':
			return formatCaa(parseCaa(value));
		case 'TXT':
			return txtPresentation(txtText(value));
	}
}

/** Values for providers that want absolute names with the trailing dot (CNAME targets). */
export function withTrailingDot(type: RecordType, value: string): string {
	return type === 'CNAME' ? normalizeName(value) + '.' : value;
}

export function sameValues(type: RecordType, a: readonly string[], b: readonly string[]): boolean {
	const x = [...new Set(a.map((v) => canonicalValue(type, v)))].sort();
	const y = [...new Set(b.map((v) => canonicalValue(type, v)))].sort();
	return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function canonicalRecordSet(r: RecordSet): RecordSet {
	return {
		name: normalizeName(r.name),
		type: r.type,
		ttl: r.ttl,
		values: [...new Set(r.values.map((v) => canonicalValue(r.type, v)))].sort()
	};
}

export const RECORD_TYPES: readonly RecordType[] = ['A', 'AAAA', 'CNAME', 'CAA', 'TXT'];

export function isRecordType(t: string): t is RecordType {
	return (RECORD_TYPES as readonly string[]).includes(t);
}

/** Groups one-record-per-value answers (DigitalOcean, Cloudflare) into record sets. */
export function groupRecords(items: { name: string; type: string; ttl: number; value: string }[]): RecordSet[] {
	const sets = new Map<string, RecordSet>();
	for (const i of items) {
		if (!isRecordType(i.type)) continue;
		const key = `${normalizeName(i.name)} ${i.type}`;
		const set = sets.get(key) ?? { name: normalizeName(i.name), type: i.type, ttl: i.ttl, values: [] };
		set.values.push(canonicalValue(i.type, i.value));
		set.ttl = Math.min(set.ttl, i.ttl);
		sets.set(key, set);
	}
	return [...sets.values()];
}
