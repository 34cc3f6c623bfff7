import { describe, expect, it } from 'vitest';
import { buildPlan } from '../core/deploy/plan.ts';
import { deploymentHosts, type AppChoice } from '../core/deploy/setup.ts';
import { parseDomain } from '../core/model/domain.ts';
import type { DeployEnvironment } from '../main/deploy.ts';
import { SetupWizardState, tokenBlocker } from './deploy-setup.svelte.ts';

const env = { clouds: [], dns: [], gits: [] } as unknown as DeployEnvironment;

const app: AppChoice = {
	id: 'memos',
	name: 'Memos',
	tagline: '',
	entrypoints: [{ id: 'main', subdomain: 'memos' }],
	resources: { ramMinMiB: 128, ramRecommendedMiB: 256, diskMiB: 512 },
	firstLogin: ''
};

/** The config's judgement (validateDeployment normalises every domain with parseDomain). */
function config(input: string): { ok: true; ascii: string } | { ok: false } {
	try {
		return { ok: true, ascii: parseDomain(input).ascii };
	} catch {
		return { ok: false };
	}
}

describe('the wizard judges a domain as the config does', () => {
	const inputs = [
		'example.org',
		'  Example.ORG. ',
		'bücher.example',
		'Bücher.Example.ORG',
		'xn--bcher-kva.example',
		'пример.рф',
		'example.xn--p1ai',
		'my-family.org',
		'bad_name.org',
		'example',
		'-a.org',
		'ab--c.org',
		'192.168.1.1',
		'a.b/c',
		'example.b',
		'example.123',
		`${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(20)}.org`,
		''
	];
	it.each(inputs)('%s', (input) => {
		const w = new SetupWizardState(env);
		w.apps = [app];
		w.selected = ['memos'];
		w.domainInput = input;
		const c = config(input);
		expect(w.domainProblem === undefined, w.domainProblem ?? 'accepted').toBe(c.ok);
		if (!c.ok) return;
		// What the wizard keeps is what the config writes: ASCII, punycode for international names.
		expect(w.domain).toBe(c.ascii);
		expect(() => buildPlan(w.planInput({ ...fakeSetup, domain: w.domain }))).not.toThrow();
		expect(deploymentHosts([app], w.domain).every((h) => parseDomain(h.fqdn).ascii === h.fqdn)).toBe(true);
	});

	it('shows an international name as it was typed, with the form written into files', () => {
		const w = new SetupWizardState(env);
		w.domainInput = 'Bücher.Example';
		expect(w.domain).toBe('xn--bcher-kva.example');
		expect(w.domainShown).toBe('bücher.example');
	});
});

const fakeSetup = {
	deploymentId: 'abcdefgh1234',
	apps: ['memos'],
	domain: '',
	dns: { provider: 'sandbox-dns', token: 't' },
	cloud: { provider: 'sandbox-cloud', token: 't', region: 'r', size: 's' },
	git: { host: 'sandbox-git', token: 't' },
	backups: { endpoint: '', bucket: '', accessKeyId: '', secretAccessKey: '', resticPassword: '' }
};

describe('a token step says what is missing, in plain words', () => {
	const real = { providerName: 'DigitalOcean', sandbox: false };
	const practice = { providerName: 'DigitalOcean', sandbox: true };
	it('asks for a provider, then a token (where to get it, or any word to practise), then a Check', () => {
		expect(tokenBlocker('cloud', undefined, '', { state: 'idle' })).toBe('Choose a cloud provider.');
		expect(tokenBlocker('cloud', real, '  ', { state: 'idle' })).toMatch(
			/^Paste your DigitalOcean token .*How to make this token/
		);
		expect(tokenBlocker('cloud', practice, '', { state: 'idle' })).toMatch(/any word .*“sandbox”/);
		expect(tokenBlocker('cloud', real, 'dop_v1_x', { state: 'idle' })).toBe('Press Check next to the token.');
		expect(tokenBlocker('cloud', real, 'dop_v1_x', { state: 'checking' })).toBe('Checking the token…');
		expect(tokenBlocker('cloud', real, 'dop_v1_x', { state: 'error', message: 'm', action: 'a' })).toMatch(
			/did not work: see what to do just under it/
		);
		expect(tokenBlocker('cloud', real, 'dop_v1_x', { state: 'ok', account: 'a@b' })).toBeUndefined();
	});
});

describe('practice storage for backups', () => {
	const option = (id: string, sandbox: boolean) => ({ id, name: id, sandbox, tokenHelp: '', providerName: id });
	const practiceEnv = {
		clouds: [option('sandbox-digitalocean', true), option('digitalocean', false)],
		dns: [],
		gits: [],
		randomBytes: (n: number) => new Uint8Array(n).map((_, i) => i * 37)
	} as unknown as DeployEnvironment;

	it('is offered with a sandbox cloud, fills a valid target with a bucket of its own', () => {
		const w = new SetupWizardState(practiceEnv);
		w.cloudProvider = 'sandbox-digitalocean';
		expect(w.practiceStorage).toBe(true);
		w.step = 'backups';
		expect(w.blocker).toBeDefined();
		w.usePracticeStorage();
		expect(w.backups.endpoint).toBe('https://backups.nassella-sandbox.example');
		expect(w.backups.bucket).toBe('practice-00254a6f94');
		expect(w.blocker).toBeUndefined();
	});

	it('is never offered, nor filled, with a real cloud', () => {
		const w = new SetupWizardState(practiceEnv);
		w.cloudProvider = 'digitalocean';
		expect(w.practiceStorage).toBe(false);
		w.usePracticeStorage();
		expect(w.backups.endpoint).toBe('');
	});
});
