/**
 * Deployment state kept in the vault, one encrypted record per deployment
 * (kind `deployment` in ports/vault.ts), so it travels with the encrypted export and another device can
 * resume. Typed against the vault's record methods only.
 */
import type { DeploymentState } from '../../core/deploy/machine.ts';
import { DEPLOYMENT_ID_PATTERN } from '../../core/labels.ts';
import type { DeploymentStore } from '../../ports/deploy.ts';
import type { RecordVault } from '../../ports/vault.ts';

export type { RecordVault };

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
			const value: unknown = await vault.get('deployment', id);
			if (value === undefined) return undefined;
			if (!looksLikeState(value, id)) throw new Error('The stored deployment record is not readable.');
			return value;
		},
		async save(state) {
			await vault.put('deployment', state.id, state);
		},
		async list() {
			return (await vault.list('deployment')).filter((id) => DEPLOYMENT_ID_PATTERN.test(id));
		},
		async remove(id) {
			await vault.delete('deployment', id);
		}
	};
}
