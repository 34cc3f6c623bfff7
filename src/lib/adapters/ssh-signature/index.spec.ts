import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowedSignersLine } from '../../core/git/openssh.ts';
import { generateSshKey, openSshPrivateKeyFile, sshFingerprint, sshSign } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'nassella-sshsig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verify(allowed: string, message: string, signature: string, namespace = 'git') {
	writeFileSync(join(dir, 'allowed'), allowed + '\n');
	writeFileSync(join(dir, 'sig'), signature);
	return spawnSync(
		'ssh-keygen',
		['-Y', 'verify', '-f', join(dir, 'allowed'), '-I', 'nassella', '-n', namespace, '-s', join(dir, 'sig')],
		{ input: message, encoding: 'utf8' }
	);
}

describe('SSH signatures from WebCrypto Ed25519', () => {
	it('ssh-keygen -Y verify accepts what we sign, and refuses a changed message, another namespace or key', async () => {
		const key = await generateSshKey('nassella');
		const message = 'tree 0123\n\nhello\n';
		const signature = await sshSign(key, message);
		const allowed = allowedSignersLine('nassella', key.publicKey);
		expect(verify(allowed, message, signature).status).toBe(0);
		expect(verify(allowed, message + 'x', signature).status).not.toBe(0);
		expect(verify(allowed, message, await sshSign(key, message, 'file'), 'file').status).not.toBe(0);
		const other = await generateSshKey();
		expect(verify(allowedSignersLine('nassella', other.publicKey), message, signature).status).not.toBe(0);
	});

	it('writes a private key file ssh-keygen reads, with the same public key and fingerprint', async () => {
		const key = await generateSshKey('server@nassella');
		const file = join(dir, 'id_ed25519');
		writeFileSync(file, openSshPrivateKeyFile(key));
		chmodSync(file, 0o600);
		const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
		expect(derived).toBe(key.publicKey);
		writeFileSync(file + '.pub', key.publicKey + '\n');
		const printed = execFileSync('ssh-keygen', ['-l', '-f', file + '.pub'], { encoding: 'utf8' });
		expect(printed).toContain(await sshFingerprint(key.publicKey));
	});
});
