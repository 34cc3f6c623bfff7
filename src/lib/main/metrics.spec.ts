import { describe, expect, it } from 'vitest';
import type { DeploymentState } from '../core/deploy/machine.ts';
import type { CloudProvider } from '../ports/cloud.ts';
import { cloudMetricsLoader, deploymentMetricsLoader, deploymentServerId } from './metrics.ts';

const resources = (...ids: string[]) =>
	ids.map((id) => ({ kind: 'server', id, name: 'web', step: 'server' })) as DeploymentState['resources'];

describe('metrics wiring', () => {
	it('finds the deployment server, the latest one if it was replaced', () => {
		expect(deploymentServerId({ resources: resources('1', '2') })).toBe('2');
		expect(deploymentServerId({ resources: [] })).toBeUndefined();
	});

	it('has no loader without a server, for an unknown provider, or a provider without metrics', async () => {
		const setup = { cloud: { provider: 'sandbox-hetzner', token: 't' } };
		expect(await deploymentMetricsLoader(setup, { resources: [] })).toBeUndefined();
		expect(
			await deploymentMetricsLoader({ cloud: { provider: 'nowhere', token: 't' } }, { resources: resources('1') })
		).toBeUndefined();
		expect(cloudMetricsLoader({} as CloudProvider, '1')).toBeUndefined();
		expect(await deploymentMetricsLoader(setup, { resources: resources('1') })).toBeTypeOf('function');
	});

	it('passes the server id, the query and the signal through', async () => {
		const calls: unknown[] = [];
		const cloud = {
			serverMetrics: async (...args: unknown[]) => {
				calls.push(args);
				return { from: 0, to: 1, stepSeconds: 60, series: [], missing: [] };
			}
		} as unknown as CloudProvider;
		const signal = new AbortController().signal;
		await cloudMetricsLoader(cloud, '42')!({ from: 0, to: 1 }, signal);
		expect(calls).toEqual([['42', { from: 0, to: 1 }, signal]]);
	});
});
