/** Every provider choice the app offers builds its adapter; sandbox choices are labelled as such. */
import { expect, it } from 'vitest';
import { cloudChoices, dnsChoices, SANDBOX_LABEL } from '../../src/lib/main/providers.ts';

it('offers real and sandbox providers, each buildable, sandboxes clearly labelled', async () => {
	// The exact ids people's setups hold: tests/providers/registry.test.ts.
	const ids = [...cloudChoices, ...dnsChoices].map((c) => c.id);
	expect(new Set(ids).size).toBe(ids.length);
	for (const c of [...cloudChoices, ...dnsChoices]) {
		if (c.sandbox) expect(c.label).toContain(SANDBOX_LABEL);
		else expect(c.label).not.toContain('Sandbox');
		const p = await c.create({
			token: 't',
			baseUrl: 'https://dns.example.org:8081',
			proxyBase: 'https://proxy.example.org'
		});
		expect(typeof p.verify).toBe('function');
	}
	expect(cloudChoices.find((c) => c.id === 'hetzner')?.label).toMatch(/experimental/i);
});
