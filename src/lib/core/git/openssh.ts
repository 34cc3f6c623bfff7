/**
 * OpenSSH key formats for Ed25519: the one-line public key (authorized_keys, deploy keys),
 * the allowed-signers line `git verify-commit` checks commits against, and the unencrypted
 * private key file the server pulls its config repo with. Pure; keys come in as raw bytes.
 */
import { fromBase64, toBase64 } from '../base64.ts';
import { concatBytes, SshReader, sshString, sshUint32, utf8 } from './bytes.ts';

export const ED25519_KEY_TYPE = 'ssh-ed25519';

/** The public key in SSH wire format: string "ssh-ed25519", string key (32 bytes). */
export function ed25519PublicKeyBlob(publicKey: Uint8Array): Uint8Array {
	if (publicKey.length !== 32) throw new Error('An Ed25519 public key is 32 bytes.');
	return concatBytes([sshString(ED25519_KEY_TYPE), sshString(publicKey)]);
}

const COMMENT = /^[A-Za-z0-9@._:+-]{0,100}$/;

/** `ssh-ed25519 AAAA… comment`, as in authorized_keys and deploy-key forms. */
export function formatOpenSshPublicKey(publicKey: Uint8Array, comment = ''): string {
	if (!COMMENT.test(comment)) throw new Error('A key comment uses letters, digits and @._:+- only.');
	const line = `${ED25519_KEY_TYPE} ${toBase64(ed25519PublicKeyBlob(publicKey))}`;
	return comment ? `${line} ${comment}` : line;
}

export interface ParsedPublicKey {
	type: typeof ED25519_KEY_TYPE;
	/** The raw 32-byte key. */
	key: Uint8Array;
	comment: string;
}

/** Parses an OpenSSH Ed25519 public key line; anything else is refused with a plain reason. */
export function parseOpenSshPublicKey(line: string): ParsedPublicKey {
	const parts = line.trim().split(/\s+/);
	if (parts.length < 2 || parts[0] !== ED25519_KEY_TYPE)
		throw new Error('Expected an Ed25519 public key starting with "ssh-ed25519".');
	const blob = fromBase64(parts[1] ?? '');
	if (!blob) throw new Error('The public key is not valid base64.');
	const reader = new SshReader(blob);
	try {
		const type = reader.text();
		const key = reader.string();
		if (type !== ED25519_KEY_TYPE || key.length !== 32 || !reader.done) throw new Error('mismatch');
		return { type: ED25519_KEY_TYPE, key: key.slice(), comment: parts.slice(2).join(' ') };
	} catch {
		throw new Error('The public key data does not hold an Ed25519 key.');
	}
}

const PRINCIPAL = /^[A-Za-z0-9@._+-]{1,100}$/;

/**
 * One line of git's `gpg.ssh.allowedSignersFile`: the principal may sign only in the "git"
 * namespace, so the same key cannot be replayed to sign files or other protocols.
 */
export function allowedSignersLine(principal: string, publicKeyLine: string): string {
	if (!PRINCIPAL.test(principal)) throw new Error('A signer principal uses letters, digits and @._+- only.');
	const { key } = parseOpenSshPublicKey(publicKeyLine);
	return `${principal} namespaces="git" ${formatOpenSshPublicKey(key)}`;
}

/**
 * An unencrypted OpenSSH private key file ("openssh-key-v1") for an Ed25519 key, as
 * `ssh-keygen` writes it. `seed` is the 32-byte private seed, `publicKey` its public half.
 * `checkInt` should be random; it only lets ssh tell a wrong passphrase from a right one.
 */
export function formatOpenSshPrivateKey(
	seed: Uint8Array,
	publicKey: Uint8Array,
	comment: string,
	checkInt: number
): string {
	if (seed.length !== 32) throw new Error('An Ed25519 private seed is 32 bytes.');
	if (!COMMENT.test(comment)) throw new Error('A key comment uses letters, digits and @._:+- only.');
	const publicBlob = ed25519PublicKeyBlob(publicKey);
	const body = [
		sshUint32(checkInt),
		sshUint32(checkInt),
		sshString(ED25519_KEY_TYPE),
		sshString(publicKey),
		sshString(concatBytes([seed, publicKey])),
		sshString(comment)
	];
	let privateSection = concatBytes(body);
	const padLength = (8 - (privateSection.length % 8)) % 8;
	const padding = new Uint8Array(padLength).map((_, i) => i + 1);
	privateSection = concatBytes([privateSection, padding]);
	const blob = concatBytes([
		utf8('openssh-key-v1\0'),
		sshString('none'),
		sshString('none'),
		sshString(new Uint8Array(0)),
		sshUint32(1),
		sshString(publicBlob),
		sshString(privateSection)
	]);
	const lines = toBase64(blob).match(/.{1,70}/g) ?? [];
	return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
