import { describe, expect, it } from 'vitest';
import { BASE_OVERHEAD, TYPICAL_SIZES, fitApps, formatMiB, sumResources } from './fit.ts';

const app = (ramMinMiB: number, ramRecommendedMiB: number, diskMiB: number) => ({
	resources: { ramMinMiB, ramRecommendedMiB, diskMiB }
});
const size = (id: string) => TYPICAL_SIZES.find((s) => s.id === id)!;

describe('fitting apps to a server', () => {
	it('sums the apps and adds the base system', () => {
		expect(sumResources([app(100, 200, 1000), app(50, 60, 10)])).toEqual({
			ramMinMiB: 150,
			ramRecommendedMiB: 260,
			diskMiB: 1010
		});
		const f = fitApps([app(100, 200, 1000)], size('2gb'));
		expect(f.ramMinMiB).toBe(100 + BASE_OVERHEAD.ramMinMiB);
		expect(f.diskMiB).toBe(1000 + BASE_OVERHEAD.diskMiB);
		expect(f.verdict).toBe('fits');
	});
	it('says plainly when the apps will not fit, and why', () => {
		const f = fitApps([app(2048, 4096, 51200)], size('1gb'));
		expect(f.verdict).toBe('wont-fit');
		expect(f.message).toBe(
			"Won't fit: these apps need more memory and disk space than this server has. Choose a bigger server or fewer apps."
		);
		expect(fitApps([app(64, 64, 30 * 1024)], size('1gb')).message).toMatch(/more disk space than/);
	});
	it('warns when only the minimum fits', () => {
		expect(fitApps([app(512, 2048, 1000)], size('2gb')).verdict).toBe('tight');
	});
	it('has nothing to say about an empty selection', () => {
		expect(fitApps([], size('1gb')).verdict).toBe('empty');
	});
	it('formats sizes for people', () => {
		expect(formatMiB(512)).toBe('512 MB');
		expect(formatMiB(1536)).toBe('1.5 GB');
		expect(formatMiB(20480)).toBe('20 GB');
	});
});
