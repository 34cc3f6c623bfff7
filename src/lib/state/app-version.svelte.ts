import { decideUpdate } from '../core/operations.ts';
import type { AppUpdates, OperationLocks } from '../ports/app-updates.ts';

/** What the person sees of app updates: announced, never applied under their feet. */
export class AppVersionState {
	ready = $state(false);
	waitingFor = $state('');
	#updates: AppUpdates;
	#locks: OperationLocks;

	constructor(updates: AppUpdates, locks: OperationLocks) {
		this.#updates = updates;
		this.#locks = locks;
	}

	/** Watches for new versions: now, when the app comes back to the foreground, and hourly. */
	async start(): Promise<void> {
		await this.#updates.watch(() => (this.ready = true));
		const check = () => void this.#updates.check().catch(() => undefined);
		document.addEventListener('visibilitychange', () => {
			if (document.visibilityState === 'visible') check();
		});
		setInterval(check, 60 * 60 * 1000);
	}

	/** Reloads into the new version, unless a long operation is running in any tab. */
	async apply(): Promise<boolean> {
		const decision = decideUpdate(await this.#locks.running());
		if (!decision.allowed) {
			this.waitingFor = decision.reason;
			return false;
		}
		this.waitingFor = '';
		await this.#updates.activate();
		return true;
	}

	/** Runs a long operation so that no update interrupts it, in this tab or another. */
	run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
		return this.#locks.hold(operation, fn);
	}
}
