/**
 * git's SSH signature format (OpenSSH PROTOCOL.sshsig): what is signed, and the armored
 * signature git stores in a commit's `gpgsig` header. Hashing and signing happen in the
 * adapter (WebCrypto); this module only lays out the bytes.
 */
import { fromBase64OrThrow, toBase64 } from '../base64.ts';
import { concatBytes, SshReader, sshString, sshUint32, utf8 } from './bytes.ts';
import { ED25519_KEY_TYPE, ed25519PublicKeyBlob } from './openssh.ts';

const MAGIC = utf8('SSHSIG');
export const GIT_NAMESPACE = 'git';
export const SSHSIG_HASH = 'sha512';
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';

/** The bytes the Ed25519 key signs, given the SHA-512 digest of the message. */
export function sshsigSignedData(messageDigest: Uint8Array, namespace = GIT_NAMESPACE): Uint8Array<ArrayBuffer> {
	if (messageDigest.length !== 64) throw new Error('SSH signatures here use a 64-byte SHA-512 digest.');
	return concatBytes([
		MAGIC,
		sshString(namespace),
		sshString(new Uint8Array(0)),
		sshString(SSHSIG_HASH),
		sshString(messageDigest)
	]);
}

/** The armored signature (ending in a newline), from the public key and the raw 64-byte signature. */
export function sshsigArmor(publicKey: Uint8Array, signature: Uint8Array, namespace = GIT_NAMESPACE): string {
	if (signature.length !== 64) throw new Error('An Ed25519 signature is 64 bytes.');
	const blob = concatBytes([
		MAGIC,
		sshUint32(1),
		sshString(ed25519PublicKeyBlob(publicKey)),
		sshString(namespace),
		sshString(new Uint8Array(0)),
		sshString(SSHSIG_HASH),
		sshString(concatBytes([sshString(ED25519_KEY_TYPE), sshString(signature)]))
	]);
	const lines = toBase64(blob).match(/.{1,70}/g) ?? [];
	return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

export interface ParsedSshSignature {
	publicKey: Uint8Array;
	namespace: string;
	hashAlgorithm: string;
	signature: Uint8Array;
}

/** Reads an armored SSH signature back (for checks and tests); throws on anything malformed. */
export function parseSshsig(armored: string): ParsedSshSignature {
	const text = armored.trim();
	if (!text.startsWith(BEGIN) || !text.endsWith(END)) throw new Error('Not an SSH signature.');
	const blob = fromBase64OrThrow(text.slice(BEGIN.length, -END.length).replace(/\s+/g, ''));
	const reader = new SshReader(blob);
	const magic = new TextDecoder().decode(reader.raw(6));
	if (magic !== 'SSHSIG' || reader.uint32() !== 1) throw new Error('Unknown SSH signature version.');
	const keyReader = new SshReader(reader.string());
	if (keyReader.text() !== ED25519_KEY_TYPE) throw new Error('Only Ed25519 signatures are supported.');
	const publicKey = keyReader.string().slice();
	const namespace = reader.text();
	reader.string();
	const hashAlgorithm = reader.text();
	const sigReader = new SshReader(reader.string());
	if (sigReader.text() !== ED25519_KEY_TYPE) throw new Error('Only Ed25519 signatures are supported.');
	const signature = sigReader.string().slice();
	if (!reader.done) throw new Error('Trailing data after the SSH signature.');
	return { publicKey, namespace, hashAlgorithm, signature };
}
