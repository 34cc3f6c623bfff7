/** Shared helpers for benchmarks: each bench prints its figures as JSON lines that run.ts collects. */
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from '@playwright/test';
import { createLocalServer } from '../../workers/local/server.ts';
import { localMounts } from '../../workers/local/mounts.ts';

export interface Figure {
	/** What was measured, in plain words. */
	name: string;
	value: number;
	unit: string;
	/** The most (or, with `higherIsBetter`, the least) the issue allows; omitted for figures reported only. */
	budget?: number;
	higherIsBetter?: boolean;
}

export function report(figure: Figure): void {
	console.log(JSON.stringify({ figure }));
}

/** Serves the built app (run `npm run build` first) on a free loopback port. */
export async function startApp(): Promise<{ url: string; close(): Promise<void> }> {
	const server = createLocalServer({ root: 'build', mounts: await localMounts() });
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: () => new Promise((resolve) => server.close(() => resolve()))
	};
}

export function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update']
	});
}

/** Median and a high percentile of a list of samples. */
export function percentiles(samples: number[]): { p50: number; p99: number; max: number } {
	const sorted = [...samples].sort((a, b) => a - b);
	const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
	return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}
