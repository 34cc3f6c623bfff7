/** The signed-in user, GitHub's meta data (its SSH host key) and the rate limit. */
import type { Routes } from './common.ts';

/** GitHub's published SSH host key (docs.github.com, "GitHub's SSH key fingerprints"). */
const HOST_KEYS = ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'];

/** GET /rate_limit answers with the token's own usage, which fake.ts fills in. */
export function userRoutes(): Routes {
	return {
		'GET /user': ({ user }) => ({ status: 200, body: { login: user.login, id: user.id, type: 'User' } }),
		'GET /meta': () => ({ status: 200, body: { ssh_keys: HOST_KEYS } }),
		'GET /rate_limit': () => ({ status: 200, body: undefined })
	};
}
