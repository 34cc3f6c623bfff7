import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../core/errors.ts';
import { DEPLOYMENT_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../core/labels.ts';
import { lookThenCreate, ownedBy } from './resources.ts';

const mine = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [DEPLOYMENT_LABEL]: 'abc12345' };

describe('ownedBy', () => {
	it.each([
		['its own volume', { kind: 'volume', labels: mine }, true],
		['an unlabelled thing it made', { kind: 'server', labels: {} }, true],
		['another deployment’s volume', { kind: 'volume', labels: { ...mine, [DEPLOYMENT_LABEL]: 'zzz99999' } }, false],
		['the account’s shared image', { kind: 'image', labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } }, false],
		['the account’s shared snapshot', { kind: 'snapshot', labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } }, false],
		['an image labelled with its own id', { kind: 'image', labels: mine }, true]
	] as const)('%s: %s', (_name, r, expected) => {
		expect(ownedBy('abc12345', r)).toBe(expected);
	});
});

describe('lookThenCreate', () => {
	const conflict = new ProviderError({ code: 'conflict', provider: 'x', message: 'exists', action: '' });

	it('adopts what is there when observing, without creating', async () => {
		let created = 0;
		const r = await lookThenCreate(
			async () => 'found',
			async () => `made ${++created}`,
			true
		);
		expect([r, created]).toEqual(['found', 0]);
	});

	it('on a 409 looks again and adopts; any other refusal stands', async () => {
		await expect(
			lookThenCreate(
				async () => 'found',
				() => Promise.reject(conflict),
				false
			)
		).resolves.toBe('found');
		await expect(
			lookThenCreate(
				async () => undefined,
				() => Promise.reject(conflict),
				false
			)
		).rejects.toBe(conflict);
	});
});
