/** Base64 (standard alphabet, padded) for bytes, the same in the browser, Node and the workers (no Node built-ins). */

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
	let binary = '';
	for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	return btoa(binary);
}

/** Strict base64 (standard alphabet, padded, no white space); anything else returns undefined. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
	if (typeof text !== 'string' || !B64.test(text)) return undefined;
	const binary = atob(text);
	const out = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
	return out;
}

/** `fromBase64` for text that has to be base64: anything else throws. */
export function fromBase64OrThrow(text: string): Uint8Array<ArrayBuffer> {
	const bytes = fromBase64(text);
	if (!bytes) throw new Error('Not valid base64.');
	return bytes;
}
