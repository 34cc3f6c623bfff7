/** Codeberg, or another Forgejo or Gitea server: its REST API and git endpoints, through the relay. */
import type { ProviderDescriptor } from '../../core/providers/descriptor.ts';
import { READ_WRITE, REPO, SEG, smartHttp } from '../../core/net/relay-rules.ts';

export const codeberg: ProviderDescriptor = {
	id: 'codeberg',
	folder: 'forgejo',
	name: 'Codeberg',
	apiOrigins: ['https://codeberg.org'],
	relay: [
		{
			host: 'codeberg.org',
			provider: 'Codeberg',
			routes: [
				.../* @__PURE__ */ smartHttp(`/${REPO}/${REPO}`),
				// Forgejo's REST API: Codeberg does not promise CORS headers.
				{ methods: ['GET'], path: /^\/api\/v1\/(?:user|version)$/ },
				{ methods: ['GET', 'POST'], path: /^\/api\/v1\/user\/(?:repos|keys)$/ },
				{ methods: READ_WRITE, path: new RegExp(`^/api/v1/repos/${REPO}/${REPO}(?:/${SEG})*$`) }
			]
		}
	],
	git: {
		name: 'Codeberg',
		label: 'Codeberg or another Forgejo / Gitea server',
		token: {
			summary: 'Needs an access token with repository and user access. Goes through your relay.',
			url: 'https://codeberg.org/user/settings/applications',
			steps: [
				'On Codeberg, open Settings → Applications and find “Generate new token”.',
				'Give it a name and set “repository” and “user” to “Read and write”.',
				'Generate the token and copy it: it is shown only once.'
			]
		},
		needsRelay: true,
		defaultOrigin: 'https://codeberg.org'
	}
};
