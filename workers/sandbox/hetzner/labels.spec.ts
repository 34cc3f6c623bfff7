import { describe, expect, it } from 'vitest';
import { matchesSelector } from './labels.ts';

describe("the Hetzner fake's label selectors", () => {
	const labels = { 'managed-by': 'nassella', 'nassella-deployment': 'abc12345', env: 'prod' };
	it('supports equality, inequality, presence, absence and sets', () => {
		expect(matchesSelector(labels, 'managed-by==nassella,nassella-deployment=abc12345')).toBe(true);
		expect(matchesSelector(labels, 'managed-by!=nassella')).toBe(false);
		expect(matchesSelector(labels, 'env')).toBe(true);
		expect(matchesSelector(labels, '!env')).toBe(false);
		expect(matchesSelector(labels, 'env in (prod, staging),managed-by')).toBe(true);
		expect(matchesSelector(labels, 'env notin (prod)')).toBe(false);
		expect(() => matchesSelector(labels, 'a b c')).toThrow();
	});
});
