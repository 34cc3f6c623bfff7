/** GitHub: the private repository of a person's settings, over its REST API (which sends CORS headers). */
import type { ProviderDescriptor } from '../../core/providers/descriptor.ts';
import { REPO, smartHttp } from '../../core/net/relay-rules.ts';

export const github: ProviderDescriptor = {
	id: 'github',
	folder: 'github',
	name: 'GitHub',
	apiOrigins: ['https://api.github.com'],
	// git's own endpoints send no CORS headers: a copy of a repository (a move) goes through the relay.
	relay: [{ host: 'github.com', provider: 'GitHub', routes: /* @__PURE__ */ smartHttp(`/${REPO}/${REPO}`) }],
	git: {
		name: 'GitHub',
		label: 'GitHub',
		token: {
			summary:
				'Needs a token: classic with "repo" and "delete_repo", or fine-grained with Administration and Contents read and write.',
			url: 'https://github.com/settings/personal-access-tokens',
			steps: [
				'In GitHub, open Settings → Developer settings → Personal access tokens.',
				'Fine-grained: give it access to all repositories, with Administration and Contents set to “Read and write”. Classic: tick “repo” and “delete_repo”.',
				'Generate the token and copy it: GitHub shows it only once.'
			]
		},
		needsRelay: false,
		sandbox: { base: '/sandbox/github' }
	}
};
