import type { Clock } from '../../ports/deploy.ts';

/** The wall clock and timers, for the deploy and move engines (a sleep ends early on abort). */
export const realClock: Clock = {
	now: () => Date.now(),
	sleep: (ms, signal) =>
		new Promise((resolve, reject) => {
			if (signal?.aborted) return reject(new DOMException('Aborted', 'AbortError'));
			const t = setTimeout(resolve, ms);
			signal?.addEventListener(
				'abort',
				() => {
					clearTimeout(t);
					reject(new DOMException('Aborted', 'AbortError'));
				},
				{ once: true }
			);
		})
};
