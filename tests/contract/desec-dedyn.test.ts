/** Claiming a free dedyn.io name through deSEC's API (against the deSEC fake). */
import { expect, it } from 'vitest';
import { DesecDns } from '../../src/lib/adapters/desec/dns.ts';
import { ProviderError } from '../../src/lib/core/errors.ts';
import { createDesecFake } from '../../workers/sandbox/desec/fake.ts';
import { findOrClaimZone } from '../../src/lib/services/deploy/steps.ts';
import type { DnsProvider } from '../../src/lib/ports/dns.ts';
import { recorder, testOptions, TOKEN } from './harness.ts';

function setup(limitDomains?: number) {
	const fake = createDesecFake({ tokens: [TOKEN], createDomainTokens: [TOKEN], limitDomains });
	return { fake, dns: new DesecDns(testOptions(fake.api, recorder())) };
}

it('a token made without "Can create domains" (the deSEC default) gets what to do, and no name', async () => {
	const fake = createDesecFake({ tokens: [TOKEN, 'ordinary-token'], createDomainTokens: [TOKEN] });
	const dns = new DesecDns(testOptions(fake.api, recorder(), 'ordinary-token'));
	const error = (await dns.registerDedynName('my-photos').catch((e: unknown) => e)) as ProviderError;
	expect(error).toBeInstanceOf(ProviderError);
	expect(error.code).toBe('forbidden');
	expect(error.message).toBe('This deSEC token may not create domains, and claiming a free dedyn.io name needs that.');
	expect(error.action).toMatch(/Can create domains/);
	expect(fake.state.domains).toEqual([]);
	expect(fake.api.violations).toEqual([]);
});

it('claims a dedyn.io name once, and claiming it again returns the same zone', async () => {
	const { fake, dns } = setup();
	const zone = await dns.registerDedynName('My-Photos');
	expect(zone.name).toBe('my-photos.dedyn.io');
	expect((await dns.registerDedynName('my-photos')).id).toBe(zone.id);
	expect(fake.state.domains.map((d) => d.name)).toEqual(['my-photos.dedyn.io']);
	await dns.upsert(zone, { name: 'my-photos.dedyn.io', type: 'A', ttl: 3600, values: ['192.0.2.1'] });
	expect((await dns.findZone('photos.my-photos.dedyn.io')).name).toBe('my-photos.dedyn.io');
	expect(fake.api.violations).toEqual([]);
});

it('after a claim whose answer was lost, a retry finds the name instead of failing', async () => {
	const { fake, dns } = setup();
	fake.api.faults.push({ kind: 'lost', method: 'POST' });
	const zone = await dns.registerDedynName('family');
	expect(zone.name).toBe('family.dedyn.io');
	expect(fake.state.domains).toHaveLength(1);
});

it('says plainly when the name is taken, the account is full, or the name is malformed', async () => {
	const { fake, dns } = setup(1);
	fake.state.takenElsewhere.add('taken.dedyn.io');
	const taken = (await dns.registerDedynName('taken').catch((e: unknown) => e)) as ProviderError;
	expect(taken.code).toBe('conflict');
	expect(taken.message).toBe('This name is taken: taken.dedyn.io already belongs to someone else.');
	expect(taken.action).toMatch(/another name/);
	await dns.registerDedynName('first');
	const full = (await dns.registerDedynName('second').catch((e: unknown) => e)) as ProviderError;
	expect(full.code).toBe('quota');
	const bad = (await dns.registerDedynName('../evil').catch((e: unknown) => e)) as ProviderError;
	expect(bad).toBeInstanceOf(ProviderError);
	expect(bad.code).toBe('invalid');
	expect(fake.api.violations).toEqual([]);
});

it('through the DNS port: looks before it creates, and the deploy step claims a free name the account lacks', async () => {
	const { fake, dns } = setup();
	const port: DnsProvider = dns;
	fake.addDomain('mine.dedyn.io');
	// Held already: found, nothing created.
	expect(await port.ensureZone!('mine.dedyn.io')).toEqual({ id: 'mine.dedyn.io', name: 'mine.dedyn.io' });
	expect(fake.state.domains.map((d) => d.name)).toEqual(['mine.dedyn.io']);
	// Not held yet: the deploy's DNS step claims it, then finds it.
	const zone = await findOrClaimZone(port, 'notes.fresh.dedyn.io');
	expect(zone.name).toBe('fresh.dedyn.io');
	expect(fake.state.domains.map((d) => d.name).sort()).toEqual(['fresh.dedyn.io', 'mine.dedyn.io']);
	expect((await findOrClaimZone(port, 'photos.fresh.dedyn.io')).id).toBe(zone.id);
	// A domain of one's own is never created on the fly: it must be in the account.
	await expect(findOrClaimZone(port, 'www.example.org')).rejects.toMatchObject({ code: 'not-found' });
	// A taken name or a full account stop the step with a clear error.
	fake.state.takenElsewhere.add('busy.dedyn.io');
	await expect(findOrClaimZone(port, 'notes.busy.dedyn.io')).rejects.toMatchObject({
		code: 'conflict',
		message: expect.stringContaining('This name is taken')
	});
	expect(fake.api.violations).toEqual([]);
});

it('a full account: the limit is named plainly', async () => {
	const { fake, dns } = setup(1);
	await dns.ensureZone('one.dedyn.io');
	await expect(findOrClaimZone(dns, 'notes.two.dedyn.io')).rejects.toMatchObject({
		code: 'quota',
		message: 'Your deSEC account has reached its number of domains.'
	});
	expect(fake.api.violations).toEqual([]);
});
