/**
 * The keyholder's operations as messages, so the same code runs in the vault's Web
 * Worker (browser) and in-process (tests). Replies carry headers and ciphertext or
 * plaintext records, never key material.
 */
import { VaultError, vaultErrorFromData, vaultErrorToData, type VaultErrorData } from '../../core/vault/errors.ts';
import type { Keyholder } from '../../core/vault/keyholder.ts';
import type { VaultKeyholder } from '../../ports/vault.ts';

export type KeyholderOp = Exclude<keyof VaultKeyholder, 'lock'> | 'lock';

export interface KeyholderRequest {
	id: number;
	op: KeyholderOp;
	args: unknown[];
}

export type KeyholderReply =
	{ id: number; ok: true; value: unknown } | { id: number; ok: false; error: VaultErrorData };

export function runOp(keyholder: Keyholder, op: KeyholderOp, args: unknown[]): unknown {
	const [x, y] = args as [never, never];
	switch (op) {
		case 'prepare':
			return keyholder.selfTest();
		case 'create':
			return keyholder.create(x, y);
		case 'unlock':
			return keyholder.unlock(x, y);
		case 'rewrap':
			return keyholder.rewrap(x, y);
		case 'seal':
			return keyholder.seal(x, y);
		case 'open':
			return keyholder.open(x, y);
		case 'sealBundle':
			return keyholder.sealBundle(x, y);
		case 'openBundle':
			return keyholder.openBundle(x, y);
		case 'lock':
			return keyholder.lock();
		default:
			throw new VaultError('storage', 'Unknown vault operation.');
	}
}

/** Runs one request and turns any failure into a typed, message-safe error. */
export function reply(keyholder: Keyholder, request: KeyholderRequest): KeyholderReply {
	try {
		return { id: request.id, ok: true, value: runOp(keyholder, request.op, request.args) };
	} catch (error) {
		const typed =
			error instanceof VaultError
				? error
				: new VaultError('self-test-failed', 'The encryption code failed unexpectedly.');
		return { id: request.id, ok: false, error: vaultErrorToData(typed) };
	}
}

export function unwrapReply(r: KeyholderReply): unknown {
	if (r.ok) return r.value;
	throw vaultErrorFromData(r.error);
}
