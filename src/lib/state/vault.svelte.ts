/**
 * What pages see of the vault: its status, what is running, the last error in plain
 * words, settings and storage persistence; and the idle lock. Holds no key material.
 */
import { idleExpired } from '../core/vault/idle.ts';
import { describeError } from '../core/errors.ts';
import { loadVault } from '../main/app.ts';
import { recordName, type PersistenceState, type VaultSettings, type VaultStatus } from '../ports/vault.ts';
import type { VaultService } from '../services/vault.ts';

export interface ShownError {
	code: string;
	message: string;
	action: string;
}

export const NOTE_RECORD = recordName('notes', 'personal');

function shown(error: unknown): ShownError {
	// Never a raw error: it could carry data.
	const { code, message, action } = describeError(error, {
		message: 'Something went wrong.',
		action: 'Try again. Your data was not changed.'
	});
	return { code, message, action };
}

const ACTIVITY = ['pointerdown', 'keydown', 'touchstart', 'wheel'] as const;

export class VaultState {
	status = $state<VaultStatus>('unknown');
	/** What is running, in words ("Unlocking…"), or '' when idle. */
	busy = $state('');
	error = $state<ShownError | null>(null);
	/** A short confirmation of the last action, announced politely. */
	notice = $state('');
	settings = $state<VaultSettings>({ idleMinutes: 15 });
	persistence = $state<PersistenceState | null>(null);
	records = $state<string[]>([]);
	/** Bumped on any change of records or the vault, so views can reload what they show. */
	revision = $state(0);

	#service: VaultService | undefined;
	#started: Promise<void> | undefined;
	#lastActivity = Date.now();

	start(): Promise<void> {
		this.#started ??= this.#start();
		return this.#started;
	}

	async #start(): Promise<void> {
		try {
			const service = await loadVault();
			this.#service = service;
			service.onChange((change) => {
				if (change.kind === 'status') this.status = change.status;
				this.revision++;
				void this.#refresh();
			});
			this.status = service.status();
			this.#watchActivity();
			await this.#refresh();
		} catch (error) {
			this.#started = undefined;
			this.error = shown(error);
		}
	}

	async create(passphrase: string): Promise<boolean> {
		return this.#run('Creating your vault…', async (s) => {
			await s.create(passphrase);
			this.notice = 'Your vault is ready and open.';
			void this.requestPersistence();
		});
	}

	async unlock(passphrase: string): Promise<boolean> {
		return this.#run('Unlocking…', async (s) => {
			await s.unlock(passphrase);
			this.#lastActivity = Date.now();
			this.notice = 'Unlocked.';
		});
	}

	async lock(): Promise<boolean> {
		return this.#run('', async (s) => {
			await s.lock(true);
			this.notice = 'Locked.';
		});
	}

	async changePassphrase(current: string, next: string): Promise<boolean> {
		return this.#run('Changing the passphrase…', async (s) => {
			await s.changePassphrase(current, next);
			this.notice =
				'Passphrase changed. Use the new one from now on. Older export files still open with the passphrase they were made with.';
		});
	}

	async setIdleMinutes(minutes: number): Promise<boolean> {
		return this.#run('', async (s) => {
			this.settings = await s.setIdleMinutes(minutes);
			this.notice = 'Saved.';
		});
	}

	/** Builds the export and returns a download link; the caller revokes it. */
	async exportVault(): Promise<{ url: string; fileName: string } | undefined> {
		let result: { url: string; fileName: string } | undefined;
		await this.#run('Preparing the export file…', async (s) => {
			const exported = await s.exportVault();
			result = { url: URL.createObjectURL(exported.file), fileName: exported.fileName };
			this.notice = `Export file ready: ${exported.fileName} (${exported.records} items). Keep it somewhere safe, away from this device.`;
		});
		return result;
	}

	async importVault(file: File, passphrase: string): Promise<boolean> {
		return this.#run('Checking the file…', async (s) => {
			const { records } = await s.importVault(file, passphrase);
			this.notice = `Imported ${records} items. Your vault is open.`;
		});
	}

	async requestPersistence(): Promise<void> {
		const s = this.#service;
		if (!s) return;
		await s.requestPersistence();
		this.persistence = await s.persistence();
	}

	async readNote(): Promise<string> {
		const value = await this.#service?.get(NOTE_RECORD);
		return typeof value === 'string' ? value : '';
	}

	async saveNote(text: string): Promise<boolean> {
		return this.#run('Saving…', async (s) => {
			await s.put(NOTE_RECORD, text);
			this.notice = 'Note saved (encrypted).';
		});
	}

	/** Called when a passphrase form appears: loads the crypto code in the background. */
	warmUp(): void {
		void this.start().then(() => {
			if (this.status === 'locked' || this.status === 'none') this.#service?.warmUp();
		});
	}

	clearMessages(): void {
		this.error = null;
		this.notice = '';
	}

	async #run(busy: string, work: (service: VaultService) => Promise<void>): Promise<boolean> {
		await this.start();
		const service = this.#service;
		if (!service) return false;
		this.error = null;
		this.notice = '';
		this.busy = busy;
		try {
			await work(service);
			return true;
		} catch (error) {
			this.error = shown(error);
			return false;
		} finally {
			this.busy = '';
			this.status = service.status();
			await this.#refresh();
		}
	}

	async #refresh(): Promise<void> {
		const s = this.#service;
		if (!s) return;
		try {
			this.settings = await s.settings();
			this.persistence = await s.persistence();
			this.records = s.status() === 'unlocked' ? await s.list() : [];
		} catch {
			// Shown again on the next action.
		}
	}

	#watchActivity(): void {
		if (typeof window === 'undefined') return;
		const touch = () => {
			this.#lastActivity = Date.now();
		};
		for (const type of ACTIVITY) window.addEventListener(type, touch, { passive: true, capture: true });
		const check = () => {
			if (this.status !== 'unlocked') return;
			if (idleExpired(Date.now(), this.#lastActivity, this.settings.idleMinutes)) {
				void this.#service?.lock().then(() => {
					this.notice = 'Locked after a while without use.';
				});
			}
		};
		// Hidden pages may not run timers: check again the moment the page is seen.
		document.addEventListener('visibilitychange', check);
		setInterval(check, 10_000);
	}
}

let state: VaultState | undefined;

/** The one VaultState of this page. */
export function vaultState(): VaultState {
	state ??= new VaultState();
	return state;
}
