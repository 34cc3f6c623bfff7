/** A deployment plan for tests: the port doubles' providers unless told otherwise. */
import { buildPlan, type Plan, type PlanInput } from '../../../src/lib/core/deploy/plan.ts';

export function testPlan(
	deploymentId: string,
	hosts: PlanInput['hosts'],
	providers: Partial<Pick<PlanInput, 'cloud' | 'dns' | 'git'>> = {}
): Plan {
	return buildPlan({
		deploymentId,
		cloud: providers.cloud ?? { provider: 'double', region: 'r1', size: 's1' },
		volumeGiB: 10,
		dns: providers.dns ?? { provider: 'double' },
		git: providers.git ?? { host: 'double' },
		hosts
	});
}
