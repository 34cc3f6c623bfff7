/**
 * Domain names as nassella writes them everywhere (DNS records, Caddy site addresses,
 * certificates): lowercase ASCII, internationalised names in punycode.
 *
 * The WHATWG URL parser does the IDN mapping (UTS #46); it deliberately skips the DNS
 * length and hyphen checks, so those are enforced here afterwards.
 */
export interface DomainResult {
	/** What is written into files: ASCII, punycode for international labels. */
	ascii: string;
	/** What is shown to the person, so a look-alike name is visible in both forms. */
	unicode: string;
}

export class DomainError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'DomainError';
	}
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Shown in messages: never the whole of a very long or control-character-laden input. */
export function preview(value: string): string {
	// eslint-disable-next-line no-control-regex
	const printable = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
	return printable.length > 40 ? `${printable.slice(0, 37)}…` : printable;
}

export function parseDomain(input: string): DomainResult {
	const raw = input.trim().replace(/\.$/, '');
	const shown = preview(input);
	if (raw === '') throw new DomainError('A domain name is needed, such as example.org.');
	if (raw.length > 1000) throw new DomainError('That domain name is far too long.');
	// eslint-disable-next-line no-control-regex
	if (/[\s/\\?#@:%[\]]/.test(raw) || /[\u0000-\u001f\u007f]/.test(raw))
		throw new DomainError(
			`"${shown}" is not a domain name: it contains spaces or characters such as / ? # @ : that a domain cannot have.`
		);
	let host: string;
	try {
		host = new URL(`https://${raw}/`).hostname;
	} catch {
		throw new DomainError(`"${shown}" is not a valid domain name.`);
	}
	if (/^\[.*\]$/.test(host) || /^[0-9.]+$/.test(host) || /^0x/i.test(host.split('.').pop() ?? ''))
		throw new DomainError(`"${shown}" is an IP address; nassella needs a domain name such as example.org.`);
	if (host.length > 253) throw new DomainError(`"${shown}" is longer than the 253 characters a domain may have.`);
	const labels = host.split('.');
	if (labels.length < 2) throw new DomainError(`"${shown}" needs at least two parts, such as example.org.`);
	for (const label of labels) {
		if (label.length === 0) throw new DomainError(`"${shown}" has an empty part (two dots in a row).`);
		if (label.length > 63) throw new DomainError(`"${shown}" has a part longer than the 63 characters DNS allows.`);
		if (!LABEL.test(label))
			throw new DomainError(
				`"${shown}" has a part with characters a domain cannot have. Use only letters, digits, dots and dashes, with no dash at the start or end of a part.`
			);
		if (/^..--/.test(label) && !label.startsWith('xn--'))
			throw new DomainError(`"${shown}" has a part with "--" in third and fourth place, which DNS reserves.`);
	}
	const top = labels[labels.length - 1] ?? '';
	if (/^[0-9]+$/.test(top))
		throw new DomainError(`"${shown}" ends in a number; the last part of a domain is a word such as org.`);
	if (!/^[a-z]{2,63}$/.test(top) && !top.startsWith('xn--'))
		throw new DomainError(`"${shown}" ends in "${preview(top)}"; the last part of a domain is a word such as org.`);
	return { ascii: host, unicode: toUnicode(host) };
}

/**
 * The one rule for a domain the person types (wizard, dashboard, config, CLI): undefined
 * when `parseDomain` accepts it, else why not, in plain words.
 */
export function domainProblem(input: string): string | undefined {
	try {
		parseDomain(input);
		return undefined;
	} catch (e) {
		if (e instanceof DomainError) return e.message;
		throw e;
	}
}

/** True for a host name already in the form nassella writes (lowercase ASCII, punycode). */
export function isHostName(name: string): boolean {
	try {
		return parseDomain(name).ascii === name;
	} catch {
		return false;
	}
}

/** Best-effort Unicode form for display (punycode decode per RFC 3492). */
export function toUnicode(ascii: string): string {
	return ascii
		.split('.')
		.map((label) => {
			if (!label.startsWith('xn--')) return label;
			try {
				return punycodeDecode(label.slice(4));
			} catch {
				return label;
			}
		})
		.join('.');
}

function punycodeDecode(input: string): string {
	const base = 36,
		tMin = 1,
		tMax = 26,
		skew = 38,
		damp = 700;
	const output: number[] = [];
	let n = 128,
		i = 0,
		bias = 72;
	const basic = input.lastIndexOf('-');
	for (let j = 0; j < Math.max(basic, 0); j++) output.push(input.charCodeAt(j));
	const adapt = (delta: number, numPoints: number, first: boolean): number => {
		delta = first ? Math.floor(delta / damp) : delta >> 1;
		delta += Math.floor(delta / numPoints);
		let k = 0;
		while (delta > ((base - tMin) * tMax) >> 1) {
			delta = Math.floor(delta / (base - tMin));
			k += base;
		}
		return k + Math.floor(((base - tMin + 1) * delta) / (delta + skew));
	};
	for (let idx = basic > 0 ? basic + 1 : 0; idx < input.length;) {
		const oldi = i;
		let w = 1;
		for (let k = base; ; k += base) {
			if (idx >= input.length) throw new Error('bad punycode');
			const c = input.charCodeAt(idx++);
			const digit = c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : base;
			if (digit >= base) throw new Error('bad punycode');
			i += digit * w;
			const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
			if (digit < t) break;
			w *= base - t;
		}
		bias = adapt(i - oldi, output.length + 1, oldi === 0);
		n += Math.floor(i / (output.length + 1));
		i %= output.length + 1;
		output.splice(i++, 0, n);
	}
	return String.fromCodePoint(...output);
}
