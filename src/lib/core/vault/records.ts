/** Record names and values: what other parts of the app keep in the vault. */
import { fromUtf8, utf8 } from './bytes.ts';
import { TamperedError, VaultError } from './errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
export const MAX_NAME_LENGTH = 200;

/** Names are slash-separated segments of letters, digits, `_`, `.`, `-` (no empty, `.` or `..` segment). */
export function isRecordName(name: unknown): name is string {
	if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
	return name.split('/').every((segment) => SEGMENT.test(segment));
}

export function checkRecordName(name: string): void {
	if (!isRecordName(name)) throw new VaultError('invalid-name');
}

/** Plain data to bytes; anything JSON cannot hold (a function, undefined) is refused. */
export function encodeValue(value: unknown): Uint8Array {
	const text = JSON.stringify(value);
	if (text === undefined)
		throw new VaultError('invalid-name', 'Only plain data (text, numbers, lists, objects) can be stored.');
	return utf8(text);
}

/** Decrypted bytes back to a value; bytes that are not JSON mean the record was forged. */
export function decodeValue(bytes: Uint8Array): JsonValue {
	try {
		return JSON.parse(fromUtf8(bytes)) as JsonValue;
	} catch {
		throw new TamperedError();
	}
}
