/**
 * A small YAML writer for the documents the generator makes (docker-compose.yml): block maps
 * and sequences of strings, numbers, booleans and null, in the layout the `yaml` library
 * gives (two spaces, sequences indented under their key). A string is written plain only
 * when a YAML 1.2 reader gives back the same string; anything else is double-quoted with
 * JSON's escapes, which are valid YAML (or single-quoted when it holds double quotes).
 * Writing it here keeps a full YAML library out of every render (it was two thirds of the
 * render time); yaml.spec.ts reads every output back with that library.
 */

/** Plain scalars that a YAML 1.2 core-schema reader takes as null, a boolean or a number. */
const NOT_A_STRING =
	/^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
/**
 * Text that stays plain: starts with a letter, digit, one of `_ . / $ (`, or a `-` that
 * is not followed by a space; has only printable ASCII, no `: ` or ` #`, no trailing colon
 * or space. Conservative on purpose: whatever does not fit is quoted.
 */
const PLAIN = /^(?:[A-Za-z0-9_./$(]|-(?=[^\s]))[\x20-\x7e]*$/;

function plainOk(s: string): boolean {
	return (
		PLAIN.test(s) &&
		!NOT_A_STRING.test(s) &&
		!s.includes(': ') &&
		!s.includes(' #') &&
		!s.endsWith(':') &&
		!s.endsWith(' ') &&
		!s.includes('\t')
	);
}

function scalar(v: unknown): string {
	if (v === null || v === undefined) return 'null';
	if (typeof v === 'boolean') return v ? 'true' : 'false';
	if (typeof v === 'number') {
		if (!Number.isFinite(v)) throw new TypeError('A YAML number must be finite.');
		return String(v);
	}
	if (typeof v === 'string') {
		if (plainOk(v)) return v;
		// As the yaml library does: single quotes for printable text with double quotes in it.
		// eslint-disable-next-line no-control-regex
		if (v.includes('"') && !v.includes("'") && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(v)) return `'${v}'`;
		return JSON.stringify(v);
	}
	throw new TypeError(`Cannot write a ${typeof v} as YAML.`);
}

function isCollection(v: unknown): v is readonly unknown[] | Record<string, unknown> {
	return typeof v === 'object' && v !== null;
}

function isEmpty(v: readonly unknown[] | Record<string, unknown>): boolean {
	return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

/** A value written on its key's or dash's own line: a scalar or an empty collection. */
function inline(v: unknown): string {
	return isCollection(v) ? (Array.isArray(v) ? '[]' : '{}') : scalar(v);
}

function write(v: unknown, indent: string, out: string[]): void {
	if (Array.isArray(v)) {
		for (const item of v) {
			if (isCollection(item) && !isEmpty(item)) {
				// The first line of a map (or a nested sequence) follows the dash.
				const inner: string[] = [];
				write(item, `${indent}  `, inner);
				out.push(`${indent}- ${inner.join('').slice(indent.length + 2)}`);
			} else out.push(`${indent}- ${inline(item)}\n`);
		}
		return;
	}
	for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
		if (value === undefined) continue;
		const k = scalar(key);
		if (isCollection(value) && !isEmpty(value)) {
			out.push(`${indent}${k}:\n`);
			write(value, `${indent}  `, out);
		} else out.push(`${indent}${k}: ${inline(value)}\n`);
	}
}

/** The YAML text of a block map (the top of a document). */
export function toYaml(doc: Record<string, unknown>): string {
	const out: string[] = [];
	write(doc, '', out);
	return out.join('');
}
