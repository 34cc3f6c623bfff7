/** GitLab: its REST API sends CORS headers; its git endpoints do not, so those go through the relay. */
import type { ProviderDescriptor } from '../../core/providers/descriptor.ts';
import { REPO, smartHttp } from '../../core/net/relay-rules.ts';

export const gitlab: ProviderDescriptor = {
	id: 'gitlab',
	folder: 'gitlab',
	name: 'GitLab',
	apiOrigins: ['https://gitlab.com'],
	// GitLab projects may sit in nested groups.
	relay: [{ host: 'gitlab.com', provider: 'GitLab', routes: /* @__PURE__ */ smartHttp(`(?:/${REPO}){2,20}`) }],
	git: {
		name: 'GitLab',
		label: 'GitLab',
		token: {
			summary: 'Needs a personal access token with the "api" scope. Goes through your relay.',
			url: 'https://gitlab.com/-/user_settings/personal_access_tokens',
			steps: [
				'In GitLab, open Preferences → Access tokens and choose “Add new token”.',
				'Pick an expiry date and tick the “api” scope.',
				'Create the token and copy it: GitLab shows it only once.'
			]
		},
		needsRelay: true,
		defaultOrigin: 'https://gitlab.com'
	}
};
