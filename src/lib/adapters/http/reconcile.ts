/**
 * Look before you create (security.md §9): there are no idempotency keys, so every `ensure`
 * observes first, creates only when nothing is there, and after an unclear create (a lost
 * answer, a conflict, a server error) observes again before it tries anything else.
 */
import { isProviderError, ProviderError } from '../../core/errors.ts';

export async function ensureOnce<T>(
	find: () => Promise<T | undefined>,
	create: () => Promise<T>,
	attempts = 3
): Promise<T> {
	let lastError: unknown;
	for (let i = 0; i < attempts; i++) {
		const found = await find();
		if (found !== undefined) return found;
		try {
			return await create();
		} catch (error) {
			if (!isProviderError(error) || !(error.transient || error.code === 'conflict')) throw error;
			lastError = error;
		}
	}
	const found = await find();
	if (found !== undefined) return found;
	throw lastError;
}

/** Polls `check` until it returns a value, bounded in count and time. */
export async function pollUntil<T>(
	check: () => Promise<T | undefined>,
	options: {
		intervalMs: number;
		timeoutMs: number;
		sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
		signal?: AbortSignal;
		onTick?: (elapsedMs: number) => void;
		what: string;
		provider: string;
	}
): Promise<T> {
	const started = Date.now();
	const maxTicks = Math.ceil(options.timeoutMs / Math.max(1, options.intervalMs)) + 1;
	for (let tick = 0; tick < maxTicks; tick++) {
		const value = await check();
		if (value !== undefined) return value;
		const elapsed = Date.now() - started;
		if (elapsed >= options.timeoutMs) break;
		options.onTick?.(elapsed);
		await options.sleep(options.intervalMs, options.signal);
	}
	throw new ProviderError({
		code: 'unavailable',
		provider: options.provider,
		message: `${options.provider} took too long: ${options.what} is not ready yet.`,
		action: 'Wait a few minutes, then continue: nassella picks up where it stopped.'
	});
}
