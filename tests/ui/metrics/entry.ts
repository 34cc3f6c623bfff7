/**
 * The metrics charts as the app mounts them: the sandbox cloud adapters chosen through the
 * composition root, the rune state, and the component, for the server ids in the page's hash.
 */
import { mount } from 'svelte';
import '../../../src/app.css';
import type { DeploymentState } from '../../../src/lib/core/deploy/machine.ts';
import { deploymentMetricsLoader } from '../../../src/lib/main/metrics.ts';
import { MetricsState } from '../../../src/lib/state/metrics.svelte.ts';
import ServerMetrics from '../../../src/lib/ui/charts/ServerMetrics.svelte';

const params = new URLSearchParams(location.hash.slice(1));
const main = document.createElement('main');
const title = document.createElement('h1');
title.textContent = 'Server activity';
main.append(title);
document.body.append(main);

for (const provider of ['sandbox-hetzner', 'sandbox-digitalocean']) {
	const id = params.get(provider);
	if (!id) continue;
	const resources = [{ kind: 'server', id, name: 'web', step: 'server' }] as DeploymentState['resources'];
	const loader = await deploymentMetricsLoader({ cloud: { provider, token: 'sandbox' } }, { resources });
	const target = document.createElement('div');
	target.className = 'card';
	target.dataset.provider = provider;
	main.append(target);
	mount(ServerMetrics, { target, props: { metrics: new MetricsState(loader), follow: false, headingLevel: 2 } });
}
