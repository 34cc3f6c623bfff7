import { describe, expect, it } from 'vitest';
import { allowedSignersLine, formatOpenSshPublicKey, parseOpenSshPublicKey } from './openssh.ts';
import { parseSshsig, sshsigArmor, sshsigSignedData } from './sshsig.ts';

const pub = new Uint8Array(32).map((_, i) => i);
const sig = new Uint8Array(64).map((_, i) => 255 - i);

describe('OpenSSH public keys', () => {
	it('round-trips an Ed25519 key and writes an allowed-signers line limited to git', () => {
		const line = formatOpenSshPublicKey(pub, 'me@host');
		expect(line).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\S{43} me@host$/);
		expect(parseOpenSshPublicKey(line).key).toEqual(pub);
		expect(allowedSignersLine('signer@x', line)).toBe(`signer@x namespaces="git" ${formatOpenSshPublicKey(pub)}`);
	});

	it('refuses other key types, broken data and unsafe principals or comments', () => {
		expect(() => parseOpenSshPublicKey('ssh-rsa AAAAB3NzaC1yc2E')).toThrow(/Ed25519/);
		expect(() => parseOpenSshPublicKey('ssh-ed25519 !!!')).toThrow(/base64/);
		expect(() => parseOpenSshPublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5')).toThrow();
		expect(() => allowedSignersLine('a b', formatOpenSshPublicKey(pub))).toThrow();
		expect(() => formatOpenSshPublicKey(pub, 'x\ny')).toThrow();
	});
});

describe('SSHSIG', () => {
	it('signs the documented preamble, namespace and sha512 digest', () => {
		const data = sshsigSignedData(new Uint8Array(64));
		expect(new TextDecoder().decode(data.subarray(0, 6))).toBe('SSHSIG');
		expect(data.length).toBe(6 + 4 + 3 + 4 + 4 + 6 + 4 + 64);
		expect(() => sshsigSignedData(new Uint8Array(32))).toThrow();
	});

	it('armors in 70-column lines and parses back', () => {
		const armored = sshsigArmor(pub, sig);
		const lines = armored.trim().split('\n');
		expect(lines[0]).toBe('-----BEGIN SSH SIGNATURE-----');
		expect(lines.at(-1)).toBe('-----END SSH SIGNATURE-----');
		expect(lines.slice(1, -1).every((l) => l.length <= 70)).toBe(true);
		expect(parseSshsig(armored)).toEqual({ publicKey: pub, namespace: 'git', hashAlgorithm: 'sha512', signature: sig });
		expect(() => parseSshsig(armored.replace('U1NIU0lH', 'U1NIU0lI'))).toThrow();
	});
});
