/**
 * Makes a deployment's keys once, in the browser: the server's age identity, the read-only
 * deploy key the server pulls with, the key that signs the settings commits, and the
 * password (kept in the vault) plus its bcrypt hash for the server's status and logs.
 * Loaded on demand: it pulls in age and bcrypt.
 */
import type { DeploymentKeys } from '../../core/deploy/config.ts';
import type { StoredKeys } from '../../core/deploy/stored.ts';
import { generateSshKey, openSshPrivateKeyFile } from '../ssh-signature/index.ts';
import { newAgeIdentity } from '../age/encrypt.ts';

/** What the vault keeps for a deployment's keys (kind `deploymentKeys` in ports/vault.ts). */
export type { StoredKeys };

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

function randomPassword(length = 24): string {
	const limit = 256 - (256 % PASSWORD_ALPHABET.length);
	let out = '';
	while (out.length < length) {
		for (const b of crypto.getRandomValues(new Uint8Array(64))) {
			if (b < limit && out.length < length) out += PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length];
		}
	}
	return out;
}

export async function makeKeys(deploymentId: string, appSecrets: StoredKeys['appSecrets']): Promise<StoredKeys> {
	const { hash } = await import('bcryptjs');
	const password = randomPassword();
	const [age, deployKey, signingKey, passwordHash] = await Promise.all([
		newAgeIdentity(),
		generateSshKey(`nassella-${deploymentId}-server`),
		generateSshKey(`nassella-${deploymentId}-signer`),
		hash(password, 10)
	]);
	return { age, deployKey, signingKey, admin: { user: 'admin', password, passwordHash }, appSecrets };
}

/**
 * bcrypt for the catalog's derived secrets (the setup gates' password hashes, ntfy's admin
 * password hash): made once and kept in the vault with the app's secrets. Cost 10: the
 * passwords are long random strings, so the cost only has to satisfy the apps that read them.
 */
export async function bcryptDeriver(): Promise<(kind: 'bcrypt', value: string) => string> {
	const { hashSync } = await import('bcryptjs');
	return (_kind, value) => hashSync(value, 10);
}

export function deploymentKeys(stored: StoredKeys): DeploymentKeys {
	return {
		age: stored.age,
		deployKeyFile: openSshPrivateKeyFile(stored.deployKey),
		commitSigners: [stored.signingKey.publicKey],
		admin: { user: stored.admin.user, passwordHash: stored.admin.passwordHash },
		appSecrets: stored.appSecrets
	};
}
