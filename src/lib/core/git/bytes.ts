/** Small byte helpers shared by the git and SSH encoders (pure, no Node built-ins). */

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array<ArrayBuffer> {
	return encoder.encode(text);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}

export function toHex(bytes: Uint8Array): string {
	let out = '';
	for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
	return out;
}

export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
	if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new Error('Not lowercase hexadecimal.');
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

/** SSH wire format: uint32 big-endian. */
export function sshUint32(value: number): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(4);
	new DataView(out.buffer).setUint32(0, value >>> 0);
	return out;
}

/** SSH wire format `string`: uint32 length then the bytes. */
export function sshString(value: Uint8Array | string): Uint8Array<ArrayBuffer> {
	const bytes = typeof value === 'string' ? utf8(value) : value;
	return concatBytes([sshUint32(bytes.length), bytes]);
}

/** Reads SSH wire-format fields one after another; throws on truncated input. */
export class SshReader {
	private at = 0;
	private readonly bytes: Uint8Array;
	constructor(bytes: Uint8Array) {
		this.bytes = bytes;
	}
	uint32(): number {
		if (this.at + 4 > this.bytes.length) throw new Error('Truncated SSH data.');
		const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 4).getUint32(0);
		this.at += 4;
		return value;
	}
	string(): Uint8Array {
		const length = this.uint32();
		if (this.at + length > this.bytes.length) throw new Error('Truncated SSH data.');
		const value = this.bytes.subarray(this.at, this.at + length);
		this.at += length;
		return value;
	}
	text(): string {
		return new TextDecoder('utf-8', { fatal: true }).decode(this.string());
	}
	raw(length: number): Uint8Array {
		if (this.at + length > this.bytes.length) throw new Error('Truncated SSH data.');
		const value = this.bytes.subarray(this.at, this.at + length);
		this.at += length;
		return value;
	}
	get done(): boolean {
		return this.at === this.bytes.length;
	}
}
