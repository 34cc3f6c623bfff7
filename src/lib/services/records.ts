/**
 * The vault's records typed by kind (ports/vault.ts `RecordVault`), on top of the vault's
 * records by name: the one place a kind and an id become a record name.
 */
import { RECORD_PREFIXES, recordName, type RecordVault, type Vault } from '../ports/vault.ts';

export function typedRecords(vault: Pick<Vault, 'get' | 'put' | 'delete' | 'list'>): RecordVault {
	return {
		get: (kind, id) => vault.get(recordName(kind, id)),
		put: (kind, id, value) => vault.put(recordName(kind, id), value),
		delete: (kind, id) => vault.delete(recordName(kind, id)),
		async list(kind) {
			const prefix = RECORD_PREFIXES[kind];
			return (await vault.list(prefix)).map((name) => name.slice(prefix.length));
		}
	};
}
