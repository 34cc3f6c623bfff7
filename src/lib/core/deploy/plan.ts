/**
 * The deploy plan: which steps make a deployment, in what order, under which names.
 * Pure: the same input always gives the same plan, so a reloaded page, another tab or
 * another device rebuilds exactly what an earlier run started.
 */
import { isHostName } from '../model/domain.ts';
import { deploymentLabels, resourceName, type Labels } from '../labels.ts';

export const STEP_IDS = [
	'zone',
	'image',
	'ssh-key',
	'volume',
	'firewall',
	'repo',
	'deploy-key',
	'commit',
	'server',
	'wait-server',
	'dns',
	'wait-https'
] as const;

export type StepId = (typeof STEP_IDS)[number];

/** What a deployment needs from its configuration; mapped from the full config model. */
export interface PlanInput {
	deploymentId: string;
	cloud: { provider: string; region: string; size: string };
	/** Size of the data volume in GiB. */
	volumeGiB: number;
	/** An SSH key for emergencies; no key means no SSH at all (port 22 stays closed). */
	sshPublicKey?: string;
	dns: { provider: string };
	git: { host: string };
	/** Every host name an app answers on, e.g. { app: 'vaultwarden', fqdn: 'passwords.example.org' }. */
	hosts: { app: string; fqdn: string }[];
}

export interface StepSpec {
	id: StepId;
	/** What the step does, in plain words ("Create the data disk"). */
	title: string;
	/** Steps that must be done first. */
	after: StepId[];
	/** The deterministic name of what the step creates, if it creates one thing. */
	name?: string;
	/** Who does the work, for the review page and error messages. */
	by: 'cloud' | 'dns' | 'git' | 'server';
}

export interface Plan {
	deploymentId: string;
	labels: Labels;
	input: PlanInput;
	steps: StepSpec[];
}

export class PlanError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PlanError';
	}
}

/** Builds the plan, refusing input that could not deploy (no apps, bad names, duplicate hosts). */
export function buildPlan(input: PlanInput): Plan {
	const id = input.deploymentId;
	const labels = deploymentLabels(id);
	if (input.hosts.length === 0) throw new PlanError('Choose at least one app.');
	const seen = new Set<string>();
	for (const { fqdn } of input.hosts) {
		if (!isHostName(fqdn)) throw new PlanError(`“${fqdn}” is not a valid web address.`);
		if (seen.has(fqdn)) throw new PlanError(`Two apps would share the address ${fqdn}.`);
		seen.add(fqdn);
	}
	if (!Number.isInteger(input.volumeGiB) || input.volumeGiB < 1 || input.volumeGiB > 16384)
		throw new PlanError('The data disk size must be a whole number of GiB between 1 and 16384.');
	if (!input.cloud.region || !input.cloud.size) throw new PlanError('Choose a region and a server size.');

	const withSsh = Boolean(input.sshPublicKey);
	const steps: StepSpec[] = [
		// Looked up (or, for a free dedyn.io name, claimed) first: a wrong or taken name stops
		// the setup before anything is created, and the DNS step later needs no look-up of its own.
		{ id: 'zone', title: 'Find your web address at the DNS provider', after: [], by: 'dns' },
		{ id: 'image', title: 'Prepare the server’s operating system (Flatcar)', after: [], by: 'cloud' },
		...(withSsh
			? [
					{
						id: 'ssh-key' as const,
						title: 'Add your emergency SSH key',
						after: [],
						name: resourceName(id, 'ssh'),
						by: 'cloud' as const
					}
				]
			: []),
		{ id: 'volume', title: 'Create the data disk', after: [], name: resourceName(id, 'data'), by: 'cloud' },
		{ id: 'firewall', title: 'Set up the firewall', after: [], name: resourceName(id, 'fw'), by: 'cloud' },
		{
			id: 'repo',
			title: 'Create the private settings repository',
			after: [],
			name: resourceName(id, 'config'),
			by: 'git'
		},
		{ id: 'deploy-key', title: 'Let the server read the repository', after: ['repo'], by: 'git' },
		{ id: 'commit', title: 'Save the server’s settings in the repository', after: ['repo'], by: 'git' },
		{
			id: 'server',
			title: 'Create the server',
			after: ['image', ...(withSsh ? (['ssh-key'] as const) : []), 'volume', 'firewall', 'deploy-key', 'commit'],
			name: resourceName(id, 'web'),
			by: 'cloud'
		},
		{ id: 'wait-server', title: 'Wait for the server to start', after: ['server'], by: 'cloud' },
		{ id: 'dns', title: 'Point your web addresses at the server', after: ['wait-server', 'zone'], by: 'dns' },
		{ id: 'wait-https', title: 'Wait for the server to start your apps', after: ['dns'], by: 'server' }
	];
	return { deploymentId: id, labels, input, steps };
}

export function stepSpec(plan: Plan, id: StepId): StepSpec {
	const spec = plan.steps.find((s) => s.id === id);
	if (!spec) throw new PlanError(`The plan has no step “${id}”.`);
	return spec;
}

/**
 * The longest chain of steps that must run one after another: the least number of
 * sequential stages any runner needs, however many steps run in parallel.
 */
export function criticalPath(plan: Plan): StepId[] {
	const memo = new Map<StepId, StepId[]>();
	const longest = (id: StepId): StepId[] => {
		const cached = memo.get(id);
		if (cached) return cached;
		let best: StepId[] = [];
		for (const dep of stepSpec(plan, id).after) {
			const chain = longest(dep);
			if (chain.length > best.length) best = chain;
		}
		const result = [...best, id];
		memo.set(id, result);
		return result;
	};
	let best: StepId[] = [];
	for (const step of plan.steps) {
		const chain = longest(step.id);
		if (chain.length > best.length) best = chain;
	}
	return best;
}
