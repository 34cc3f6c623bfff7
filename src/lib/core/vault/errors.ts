/**
 * Typed vault errors. The UI shows `message` and `action` as they are; neither ever
 * contains a passphrase, a key, a record's contents or any part of them.
 */
export const VAULT_ERROR_CODES = [
	'wrong-passphrase', // the passphrase does not open this vault (or this file)
	'tampered', // encrypted data failed authentication or does not have the expected shape
	'unsupported-version', // made by a newer (or unknown) version of nassella
	'weak-kdf', // key-derivation settings below the floor (a downgraded file)
	'unsupported-kdf', // key-derivation settings this app will not run (absurd memory, unknown algorithm)
	'weak-passphrase', // refused by the strength check
	'self-test-failed', // this browser's Argon2id or encryption gave wrong answers
	'out-of-memory', // the device could not provide the memory Argon2id needs
	'locked', // the vault is locked; unlock it first
	'no-vault', // no vault exists yet
	'exists', // a vault already exists here
	'replaced', // another tab replaced or removed the vault
	'invalid-name', // a record name outside the allowed form
	'import-refused', // the file is not an acceptable export (see message)
	'storage' // the browser's storage failed
] as const;

export type VaultErrorCode = (typeof VAULT_ERROR_CODES)[number];

const DEFAULTS: Readonly<Record<VaultErrorCode, { message: string; action: string }>> = {
	'wrong-passphrase': {
		message: 'That passphrase is not the right one.',
		action: 'Check for typing mistakes and the caps-lock key, then try again.'
	},
	tampered: {
		message: 'The encrypted data has been changed or damaged, so it cannot be trusted.',
		action: 'Use another copy of your export file. Your current data was not changed.'
	},
	'unsupported-version': {
		message: 'This was made by a newer or unknown version of nassella.',
		action: 'Update nassella (reload the page), then try again.'
	},
	'weak-kdf': {
		message: 'The file asks for weaker protection than nassella allows, so it was refused.',
		action: 'Use an export made by nassella itself. Your current data was not changed.'
	},
	'unsupported-kdf': {
		message: 'The file asks for key settings that nassella does not run.',
		action: 'Use an export made by nassella itself. Your current data was not changed.'
	},
	'weak-passphrase': {
		message: 'That passphrase is too easy to guess.',
		action: 'Use four or more unrelated words, or a longer mix of words and characters.'
	},
	'self-test-failed': {
		message: 'This browser gave wrong answers in the encryption self-test, so nassella will not use it for your keys.',
		action: 'Update the browser or use another one. Nothing was changed.'
	},
	'out-of-memory': {
		message: 'This device could not set aside the memory needed to protect your passphrase.',
		action: 'Close other tabs and apps, then try again.'
	},
	locked: { message: 'The vault is locked.', action: 'Unlock it with your passphrase first.' },
	'no-vault': { message: 'There is no vault in this browser yet.', action: 'Create one, or import an export file.' },
	exists: {
		message: 'A vault already exists in this browser.',
		action: 'Reload the page to open it.'
	},
	replaced: {
		message: 'The vault was changed in another tab.',
		action: 'Unlock it again to continue.'
	},
	'invalid-name': {
		message: 'That record name is not allowed.',
		action: 'Use letters, digits, dots, dashes and slashes.'
	},
	'import-refused': {
		message: 'This file is not a nassella export that can be imported.',
		action: 'Choose the file nassella saved for you. Your current data was not changed.'
	},
	storage: {
		message: "The browser's storage did not work.",
		action: 'Make sure this is not a private window and the disk is not full, then try again.'
	}
};

export class VaultError extends Error {
	readonly code: VaultErrorCode;
	readonly action: string;

	constructor(code: VaultErrorCode, message?: string, action?: string) {
		super(message ?? DEFAULTS[code].message);
		this.name = 'VaultError';
		this.code = code;
		this.action = action ?? DEFAULTS[code].action;
	}
}

export class WrongPassphraseError extends VaultError {
	constructor() {
		super('wrong-passphrase');
		this.name = 'WrongPassphraseError';
	}
}

export class TamperedError extends VaultError {
	constructor(message?: string) {
		super('tampered', message);
		this.name = 'TamperedError';
	}
}

export class UnsupportedVersionError extends VaultError {
	constructor(message?: string) {
		super('unsupported-version', message);
		this.name = 'UnsupportedVersionError';
	}
}

export class WeakKdfError extends VaultError {
	constructor(message?: string) {
		super('weak-kdf', message);
		this.name = 'WeakKdfError';
	}
}

export class ImportRefusedError extends VaultError {
	constructor(message: string) {
		super('import-refused', message);
		this.name = 'ImportRefusedError';
	}
}

export function isVaultError(value: unknown, code?: VaultErrorCode): value is VaultError {
	return value instanceof VaultError && (code === undefined || value.code === code);
}

/** Serialisable form, for crossing a worker boundary without losing the type. */
export interface VaultErrorData {
	vaultError: true;
	code: VaultErrorCode;
	message: string;
	action: string;
}

export function vaultErrorToData(error: VaultError): VaultErrorData {
	return { vaultError: true, code: error.code, message: error.message, action: error.action };
}

export function vaultErrorFromData(data: VaultErrorData): VaultError {
	switch (data.code) {
		case 'wrong-passphrase':
			return new WrongPassphraseError();
		case 'tampered':
			return new TamperedError(data.message);
		case 'unsupported-version':
			return new UnsupportedVersionError(data.message);
		case 'weak-kdf':
			return new WeakKdfError(data.message);
		case 'import-refused':
			return new ImportRefusedError(data.message);
		default:
			return new VaultError(VAULT_ERROR_CODES.includes(data.code) ? data.code : 'storage', data.message, data.action);
	}
}
