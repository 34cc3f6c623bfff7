/** The restore drill button and its monthly reminder. */
import { describeError } from '../core/errors.ts';
import type { DrillRecord } from '../services/move/drill.ts';
import { drillActions, drillDue, loadMoveContext, type MoveContext } from '../main/move.ts';
import { storedProxyBase } from './proxy.svelte.ts';

export class RestoreDrillState {
	status = $state<'loading' | 'unavailable' | 'ready'>('loading');
	record = $state<DrillRecord | undefined>(undefined);
	phase = $state<'idle' | 'asking' | 'waiting'>('idle');
	error = $state<string | undefined>(undefined);
	#ctx: MoveContext | undefined;
	#abort: AbortController | undefined;

	get due(): boolean {
		return drillDue(this.record, Date.now());
	}

	async load(): Promise<void> {
		const ctx = await loadMoveContext();
		if (typeof ctx !== 'object' || ctx.deployment?.phase !== 'done') {
			this.status = 'unavailable';
			return;
		}
		this.#ctx = ctx;
		this.record = ctx.drill;
		this.status = 'ready';
		// A drill asked for in a tab that closed: look for its answer.
		if (this.record?.requestId && this.record.last?.id !== this.record.requestId) void this.#wait();
	}

	async run(): Promise<void> {
		if (!this.#ctx || this.phase !== 'idle') return;
		this.error = undefined;
		this.phase = 'asking';
		try {
			const actions = await drillActions(this.#ctx, storedProxyBase());
			await actions.request();
			this.record = await actions.load();
		} catch (e) {
			const { message, action } = describeError(e, {
				message: 'The drill could not be asked for.',
				action: 'Try again.'
			});
			this.error = `${message} ${action}`;
			this.phase = 'idle';
			return;
		}
		await this.#wait();
	}

	async #wait(): Promise<void> {
		if (!this.#ctx) return;
		this.phase = 'waiting';
		this.#abort = new AbortController();
		try {
			const actions = await drillActions(this.#ctx, storedProxyBase());
			await actions.wait(this.#abort.signal);
			this.record = await actions.load();
		} catch (e) {
			if (!this.#abort.signal.aborted) this.error = e instanceof Error ? e.message : 'No answer from the server yet.';
		} finally {
			this.phase = 'idle';
		}
	}

	stop(): void {
		this.#abort?.abort();
	}
}
