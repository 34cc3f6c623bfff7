/**
 * Deployment state kept in the vault, one encrypted record per deployment
 * (`deployment/<id>`), so it travels with the encrypted export and another device can
 * resume. Typed against the vault's record methods only.
 */
import type { DeploymentState } from '../../core/deploy/machine.ts';
import { DEPLOYMENT_ID_PATTERN } from '../../core/labels.ts';
import type { DeploymentStore } from '../../ports/deploy.ts';

/** The part of the vault port this store needs. */
export interface RecordVault {
	get<T>(name: string): Promise<T | undefined>;
	put(name: string, value: never): Promise<void>;
	delete(name: string): Promise<void>;
	list(prefix?: string): Promise<string[]>;
}

export const DEPLOYMENT_PREFIX = 'deployment/';

function looksLikeState(value: unknown, id: string): value is DeploymentState {
	if (!value || typeof value !== 'object') return false;
	const v = value as Partial<DeploymentState>;
	return (
		v.version === 1 &&
		v.id === id &&
		typeof v.phase === 'string' &&
		typeof v.steps === 'object' &&
		Array.isArray(v.resources)
	);
}

export function vaultDeploymentStore(vault: RecordVault): DeploymentStore {
	return {
		async load(id) {
			const value = await vault.get<unknown>(DEPLOYMENT_PREFIX + id);
			if (value === undefined) return undefined;
			if (!looksLikeState(value, id)) throw new Error('The stored deployment record is not readable.');
			return value;
		},
		async save(state) {
			await vault.put(DEPLOYMENT_PREFIX + state.id, state as never);
		},
		async list() {
			const names = await vault.list(DEPLOYMENT_PREFIX);
			return names.map((n) => n.slice(DEPLOYMENT_PREFIX.length)).filter((id) => DEPLOYMENT_ID_PATTERN.test(id));
		},
		async remove(id) {
			await vault.delete(DEPLOYMENT_PREFIX + id);
		}
	};
}
