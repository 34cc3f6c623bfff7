/** The build lets the app connect to the relay named in NASSELLA_PROXY_ORIGIN, and to nothing else new. */
import { afterEach, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CONFIG = pathToFileURL(resolve(import.meta.dirname, '../../svelte.config.js')).href;

async function connectSrc(env: string | undefined): Promise<string[]> {
	const before = process.env.NASSELLA_PROXY_ORIGIN;
	if (env === undefined) delete process.env.NASSELLA_PROXY_ORIGIN;
	else process.env.NASSELLA_PROXY_ORIGIN = env;
	try {
		// A fresh copy of the config module each time: it reads the variable when loaded.
		const { default: config } = await import(/* @vite-ignore */ `${CONFIG}?relay=${encodeURIComponent(env ?? '')}`);
		return config.kit.csp.directives['connect-src'];
	} finally {
		if (before === undefined) delete process.env.NASSELLA_PROXY_ORIGIN;
		else process.env.NASSELLA_PROXY_ORIGIN = before;
	}
}

describe('NASSELLA_PROXY_ORIGIN', () => {
	afterEach(() => {
		delete process.env.NASSELLA_PROXY_ORIGIN;
	});

	it('adds the relay origin (only the origin) to connect-src', async () => {
		const plain = await connectSrc(undefined);
		const withRelay = await connectSrc('https://relay.example.org/some/path');
		expect(withRelay).toContain('https://relay.example.org');
		expect(withRelay.filter((o) => !plain.includes(o))).toEqual(['https://relay.example.org']);
	});

	it('takes several origins separated by spaces', async () => {
		const list = await connectSrc('https://a.example  https://b.example:8443');
		expect(list).toEqual(expect.arrayContaining(['https://a.example', 'https://b.example:8443']));
	});
});
