/**
 * The live log of a person's server, for the log view: streams a ServerLink's journal into
 * a LogIndex, keeps the filter (app, level, text), and follows or pauses.
 *
 * Lines arrive in batches; the view is told at most a few times a second. While paused the
 * stream keeps reading (so nothing is missed) but the list does not move.
 */
import { describeError, isProviderError } from '../core/errors.ts';
import { toLogLines } from '../core/logs/entry.ts';
import { LogIndex } from '../core/logs/filter.ts';
import type { JournalQuery, ServerLink } from '../ports/server.ts';
import { deployEnvironment } from '../main/deploy.ts';
import { practiceJournal } from '../main/logs.ts';
import { serverLinkFor } from '../main/server-link.ts';
import { storedProxyBase } from './proxy.svelte.ts';

export type LogsStatus = 'idle' | 'connecting' | 'following' | 'ended' | 'error';

/** Levels offered in the filter: the least severe level shown. */
export const LEVEL_CHOICES: readonly { value: number; label: string }[] = [
	{ value: 7, label: 'Everything' },
	{ value: 6, label: 'Information and worse' },
	{ value: 4, label: 'Warnings and errors' },
	{ value: 3, label: 'Errors only' }
];

export interface LogsOptions {
	/** App ids of the deployment, to tell apart apps whose names share a prefix. */
	appIds?: readonly string[];
	/** How many of the newest lines to load first. Default 10,000. */
	initial?: number;
	/** Lines kept before the oldest are dropped. */
	capacity?: number;
	/** Tries after a broken connection before giving up (with growing waits). Default 5. */
	retries?: number;
	/** How often the list may refresh while lines pour in. Default 150 ms. */
	refreshMs?: number;
	/** The first wait before reconnecting; it doubles each time (at most 30 s). Default 500 ms. */
	backoffMs?: number;
}

export class LogsState {
	readonly index: LogIndex;
	#journal: ServerLink['journal'];
	#opts: Required<Omit<LogsOptions, 'capacity'>>;
	#abort: AbortController | undefined;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#calm: ReturnType<typeof setTimeout> | undefined;
	#arrivals: number[] = [];

	/** Bumped whenever the shown lines change. */
	version = $state(0);
	status = $state<LogsStatus>('idle');
	error = $state<string | undefined>(undefined);
	/** The list does not move while paused; lines still arrive underneath. */
	paused = $state(false);
	/** Lines received while paused. */
	waiting = $state(0);
	/** More than a few lines a second arrive: the view stops announcing them. */
	busy = $state(false);

	app = $state<string | undefined>(undefined);
	maxLevel = $state(7);
	text = $state('');

	apps = $state<readonly string[]>([]);

	/** Indices of the lines that match the filter, oldest first. */
	readonly matches: Uint32Array = $derived.by(() => {
		void this.version;
		return this.index.filter({ app: this.app, maxLevel: this.maxLevel, text: this.text });
	});

	constructor(journal: ServerLink['journal'], options: LogsOptions = {}) {
		this.#journal = journal;
		this.index = new LogIndex(options.capacity);
		this.#opts = {
			appIds: options.appIds ?? [],
			initial: options.initial ?? 10_000,
			retries: options.retries ?? 5,
			refreshMs: options.refreshMs ?? 150,
			backoffMs: options.backoffMs ?? 500
		};
	}

	get total(): number {
		void this.version;
		return this.index.size;
	}

	/** Opens the stream: the newest lines, then new ones as they come. */
	start(): void {
		if (this.#abort) return;
		const ctl = new AbortController();
		this.#abort = ctl;
		this.error = undefined;
		void this.#run(ctl.signal);
	}

	/** Closes the stream. */
	stop(): void {
		clearTimeout(this.#timer);
		clearTimeout(this.#calm);
		this.#timer = undefined;
		this.#abort?.abort();
		this.#abort = undefined;
		if (this.status === 'connecting' || this.status === 'following') this.status = 'ended';
	}

	pause(): void {
		this.paused = true;
	}

	/** Shows what arrived while paused, and follows again (reconnecting if the stream ended). */
	follow(): void {
		this.paused = false;
		this.waiting = 0;
		this.#refresh();
		if (!this.#abort) this.start();
	}

	async #run(signal: AbortSignal): Promise<void> {
		let tries = 0;
		while (!signal.aborted) {
			const cursor = this.index.lastCursor;
			const query: JournalQuery = cursor ? { cursor, follow: true } : { skip: -this.#opts.initial, follow: true };
			this.status = 'connecting';
			try {
				for await (const batch of this.#journal(query, signal)) {
					if (signal.aborted) break;
					this.status = 'following';
					tries = 0;
					this.#add(batch);
				}
				if (signal.aborted) return;
				// gatewayd ended the answer (a restart, a proxy's time limit): pick up from the last line.
				tries++;
			} catch (e) {
				if (signal.aborted) return;
				tries++;
				if (tries > this.#opts.retries || (isProviderError(e) && !e.transient && e.code !== 'not-found')) {
					const shown = describeError(e, { message: 'The logs could not be read.', action: 'Try again.' });
					this.error = `${shown.message} ${shown.action}`;
					this.status = 'error';
					this.#abort = undefined;
					return;
				}
			}
			if (tries > this.#opts.retries) {
				this.status = 'ended';
				this.#abort = undefined;
				return;
			}
			await wait(Math.min(30_000, this.#opts.backoffMs * 2 ** tries), signal);
		}
	}

	#refresh(): void {
		if (this.index.apps.length !== this.apps.length) this.apps = [...this.index.apps];
		if (!this.paused) this.version++;
	}

	#add(batch: Record<string, unknown>[]): void {
		const added = this.index.append(toLogLines(batch, this.#opts.appIds));
		if (added === 0) return;
		const now = Date.now();
		this.#arrivals.push(now);
		while (this.#arrivals.length > 0 && this.#arrivals[0]! < now - 1000) this.#arrivals.shift();
		this.busy = added > 5 || this.#arrivals.length > 5;
		if (this.paused) {
			this.waiting += added;
			return;
		}
		this.#timer ??= setTimeout(() => {
			this.#timer = undefined;
			this.#refresh();
		}, this.#opts.refreshMs);
		clearTimeout(this.#calm);
		this.#calm = setTimeout(() => (this.busy = false), 2000);
	}
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const t = setTimeout(resolve, ms);
		signal.addEventListener(
			'abort',
			() => {
				clearTimeout(t);
				resolve();
			},
			{ once: true }
		);
	});
}

export type ServerLogs =
	| { kind: 'locked' }
	| { kind: 'nothing' }
	| { kind: 'ready'; host: string; view: LogsState }
	| { kind: 'error'; message: string };

/** The log view of the current deployment's server, once the vault is open. */
export async function openServerLogs(): Promise<ServerLogs> {
	const env = deployEnvironment();
	const records = await env.records();
	if (!records) return { kind: 'locked' };
	const setup = await records.get('setup', 'current');
	if (!setup) return { kind: 'nothing' };
	try {
		const link = await serverLinkFor(setup, records, { proxyBase: storedProxyBase() });
		return {
			kind: 'ready',
			host: link.host,
			view: new LogsState((q, s) => link.journal(q, s), { appIds: setup.apps })
		};
	} catch (e) {
		const shown = describeError(e, { message: 'The server’s logs could not be opened.', action: 'Try again.' });
		return { kind: 'error', message: `${shown.message} ${shown.action}` };
	}
}

/** The log view of the practice journal (the log view's test page). */
export function practiceLogs(): LogsState {
	return new LogsState(practiceJournal(), { initial: 100_000 });
}
