/**
 * The Ed25519 key that signs config-repo commits, through WebCrypto (Node 24 and current
 * browsers). The private key is exported only as PKCS#8 for the vault to keep encrypted.
 */
import type { CommitSigner } from '../../ports/git-host.ts';
import { fromBase64OrThrow, toBase64 } from '../../core/base64.ts';
import { utf8 } from '../../core/git/bytes.ts';
import { formatOpenSshPrivateKey, formatOpenSshPublicKey, parseOpenSshPublicKey } from '../../core/git/openssh.ts';
import { sshsigArmor, sshsigSignedData } from '../../core/git/sshsig.ts';
import type { SshKeyRecord } from '../../core/deploy/stored.ts';

/** What the vault stores for a signing (or deploy) key. */
export type { SshKeyRecord };

const ED25519 = { name: 'Ed25519' } as const;
/** PKCS#8 wrapping of an Ed25519 seed (RFC 8410): a fixed 16-byte prefix then the 32-byte seed. */
const PKCS8_PREFIX = '302e020100300506032b657004220420';

function bytes(buffer: ArrayBuffer): Uint8Array {
	return new Uint8Array(buffer);
}

export async function generateSshKey(comment = ''): Promise<SshKeyRecord> {
	const pair = (await crypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
	const raw = bytes(await crypto.subtle.exportKey('raw', pair.publicKey));
	const pkcs8 = bytes(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
	return { privateKeyPkcs8: toBase64(pkcs8), publicKey: formatOpenSshPublicKey(raw, comment) };
}

function seedOf(record: SshKeyRecord): Uint8Array {
	const pkcs8 = fromBase64OrThrow(record.privateKeyPkcs8);
	const prefix = Array.from(pkcs8.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
	if (pkcs8.length !== 48 || prefix !== PKCS8_PREFIX) throw new Error('The stored key is not an Ed25519 key.');
	return pkcs8.subarray(16);
}

function importPrivate(record: SshKeyRecord): Promise<CryptoKey> {
	seedOf(record);
	return crypto.subtle.importKey('pkcs8', fromBase64OrThrow(record.privateKeyPkcs8), ED25519, false, ['sign']);
}

/** Signs `message` as `ssh-keygen -Y sign -n <namespace>` would, returning the armored signature. */
export async function sshSign(record: SshKeyRecord, message: string | Uint8Array, namespace = 'git'): Promise<string> {
	const key = await importPrivate(record);
	const data = typeof message === 'string' ? utf8(message) : new Uint8Array(message);
	const digest = bytes(await crypto.subtle.digest('SHA-512', data));
	const signature = bytes(await crypto.subtle.sign(ED25519, key, sshsigSignedData(digest, namespace)));
	return sshsigArmor(parseOpenSshPublicKey(record.publicKey).key, signature, namespace);
}

/** The signer the git hosts call with each commit payload. */
export function commitSigner(record: SshKeyRecord): CommitSigner {
	return (payload) => sshSign(record, payload, 'git');
}

/** The private key as an OpenSSH key file, for the server to pull its config repo with. */
export function openSshPrivateKeyFile(record: SshKeyRecord): string {
	const { key, comment } = parseOpenSshPublicKey(record.publicKey);
	const check = crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
	return formatOpenSshPrivateKey(seedOf(record), key, comment, check);
}

/** `SHA256:…` as `ssh-keygen -l` prints it, to show a person which key is which. */
export async function sshFingerprint(publicKey: string): Promise<string> {
	const blob = fromBase64OrThrow(publicKey.trim().split(/\s+/)[1] ?? '');
	const digest = bytes(await crypto.subtle.digest('SHA-256', blob));
	return 'SHA256:' + toBase64(digest).replace(/=+$/, '');
}
