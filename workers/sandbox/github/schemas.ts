/**
 * JSON Schemas for the GitHub REST endpoints nassella uses, written from GitHub's REST
 * documentation (docs.github.com/en/rest: repos, git/blobs, git/trees, git/commits,
 * git/refs, deploy keys, users, rate limit, meta). GitHub's OpenAPI description
 * (github/rest-api-description) is not available offline here, so these are hand-written
 * subsets: every field nassella sends or reads is listed, with GitHub's types and required
 * fields; unknown extra fields are allowed in responses, as GitHub adds fields over time.
 * The adapter's calls are also type-checked against @octokit/openapi-types, which is
 * generated from that OpenAPI description.
 */
type Schema = Record<string, unknown>;

const sha = { type: 'string', pattern: '^[0-9a-f]{40}$' };
const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const url = { type: 'string', pattern: '^https?://' };
const obj = (properties: Record<string, unknown>, required: string[], extra = true): Schema => ({
	type: 'object',
	properties,
	required,
	additionalProperties: extra
});

const gitUser = obj({ name: str, email: str, date: { type: 'string', format: 'date-time' } }, ['name', 'email'], false);
const gitUserOut = obj({ name: str, email: str, date: { type: 'string', format: 'date-time' } }, [
	'name',
	'email',
	'date'
]);
const simpleUser = obj({ login: str, id: int, type: str }, ['login', 'id', 'type']);

const repository = obj(
	{
		id: int,
		node_id: str,
		name: str,
		full_name: str,
		private: bool,
		owner: simpleUser,
		description: { type: ['string', 'null'] },
		html_url: url,
		url,
		clone_url: url,
		ssh_url: str,
		default_branch: str,
		size: int,
		visibility: { enum: ['public', 'private', 'internal'] },
		created_at: str,
		pushed_at: { type: ['string', 'null'] }
	},
	[
		'id',
		'node_id',
		'name',
		'full_name',
		'private',
		'owner',
		'html_url',
		'url',
		'clone_url',
		'ssh_url',
		'default_branch',
		'size'
	]
);

const gitRef = obj({ ref: str, node_id: str, url, object: obj({ type: str, sha, url }, ['type', 'sha', 'url']) }, [
	'ref',
	'node_id',
	'url',
	'object'
]);

const treeEntryOut = obj({ path: str, mode: str, type: str, sha, size: int, url }, ['path', 'mode', 'type', 'sha']);
const gitTree = obj({ sha, url, truncated: bool, tree: { type: 'array', items: treeEntryOut } }, [
	'sha',
	'url',
	'truncated',
	'tree'
]);

const gitCommit = obj(
	{
		sha,
		node_id: str,
		url,
		html_url: url,
		author: gitUserOut,
		committer: gitUserOut,
		message: str,
		tree: obj({ sha, url }, ['sha', 'url']),
		parents: { type: 'array', items: obj({ sha, url, html_url: url }, ['sha', 'url']) },
		verification: obj(
			{ verified: bool, reason: str, signature: { type: ['string', 'null'] }, payload: { type: ['string', 'null'] } },
			['verified', 'reason', 'signature', 'payload']
		)
	},
	['sha', 'node_id', 'url', 'html_url', 'author', 'committer', 'message', 'tree', 'parents', 'verification']
);

const deployKey = obj({ id: int, key: str, url, title: str, verified: bool, created_at: str, read_only: bool }, [
	'id',
	'key',
	'url',
	'title',
	'verified',
	'created_at',
	'read_only'
]);

const basicError = obj({ message: str, documentation_url: str, status: str }, ['message']);
const rateResource = obj({ limit: int, remaining: int, reset: int, used: int }, [
	'limit',
	'remaining',
	'reset',
	'used'
]);

export interface Endpoint {
	method: string;
	/** Path template, GitHub style: /repos/{owner}/{repo}/git/blobs */
	path: string;
	request?: Schema;
	/** Response schema by status. */
	responses: Record<number, Schema | null>;
}

const errors = { 401: basicError, 403: basicError, 404: basicError, 409: basicError, 422: basicError, 429: basicError };

export const ENDPOINTS: Endpoint[] = [
	{
		method: 'GET',
		path: '/user',
		responses: { 200: obj({ login: str, id: int, type: str }, ['login', 'id', 'type']), ...errors }
	},
	{
		method: 'GET',
		path: '/rate_limit',
		responses: {
			200: obj({ resources: obj({ core: rateResource }, ['core']), rate: rateResource }, ['resources', 'rate']),
			...errors
		}
	},
	{ method: 'GET', path: '/meta', responses: { 200: obj({ ssh_keys: { type: 'array', items: str } }, []), ...errors } },
	{
		method: 'POST',
		path: '/user/repos',
		request: obj(
			{
				name: { type: 'string', minLength: 1, maxLength: 100 },
				description: str,
				private: bool,
				auto_init: bool,
				has_issues: bool,
				has_projects: bool,
				has_wiki: bool
			},
			['name'],
			false
		),
		responses: { 201: repository, ...errors }
	},
	{ method: 'GET', path: '/repos/{owner}/{repo}', responses: { 200: repository, ...errors } },
	{ method: 'DELETE', path: '/repos/{owner}/{repo}', responses: { 204: null, ...errors } },
	{
		method: 'PUT',
		path: '/repos/{owner}/{repo}/contents/{path}',
		request: obj({ message: str, content: str, sha, branch: str }, ['message', 'content'], false),
		responses: {
			201: obj(
				{ content: obj({ name: str, path: str, sha }, ['name', 'path', 'sha']), commit: obj({ sha }, ['sha']) },
				['content', 'commit']
			),
			...errors
		}
	},
	{
		method: 'POST',
		path: '/repos/{owner}/{repo}/git/blobs',
		request: obj({ content: str, encoding: { enum: ['utf-8', 'base64'] } }, ['content'], false),
		responses: { 201: obj({ sha, url }, ['sha', 'url']), ...errors }
	},
	{
		method: 'POST',
		path: '/repos/{owner}/{repo}/git/trees',
		request: obj(
			{
				base_tree: sha,
				tree: {
					type: 'array',
					items: obj(
						{
							path: str,
							mode: { enum: ['100644', '100755', '040000', '160000', '120000'] },
							type: { enum: ['blob', 'tree', 'commit'] },
							sha: { oneOf: [sha, { type: 'null' }] },
							content: str
						},
						['path', 'mode', 'type'],
						false
					)
				}
			},
			['tree'],
			false
		),
		responses: { 201: gitTree, ...errors }
	},
	{ method: 'GET', path: '/repos/{owner}/{repo}/git/trees/{tree_sha}', responses: { 200: gitTree, ...errors } },
	{
		method: 'POST',
		path: '/repos/{owner}/{repo}/git/commits',
		request: obj(
			{
				message: str,
				tree: sha,
				parents: { type: 'array', items: sha },
				author: gitUser,
				committer: gitUser,
				signature: str
			},
			['message', 'tree'],
			false
		),
		responses: { 201: gitCommit, ...errors }
	},
	{ method: 'GET', path: '/repos/{owner}/{repo}/git/commits/{commit_sha}', responses: { 200: gitCommit, ...errors } },
	{ method: 'GET', path: '/repos/{owner}/{repo}/git/ref/{ref}', responses: { 200: gitRef, ...errors } },
	{
		method: 'POST',
		path: '/repos/{owner}/{repo}/git/refs',
		request: obj({ ref: { type: 'string', pattern: '^refs/' }, sha }, ['ref', 'sha'], false),
		responses: { 201: gitRef, ...errors }
	},
	{
		method: 'PATCH',
		path: '/repos/{owner}/{repo}/git/refs/{ref}',
		request: obj({ sha, force: bool }, ['sha'], false),
		responses: { 200: gitRef, ...errors }
	},
	{
		method: 'GET',
		path: '/repos/{owner}/{repo}/keys',
		responses: { 200: { type: 'array', items: deployKey }, ...errors }
	},
	{
		method: 'POST',
		path: '/repos/{owner}/{repo}/keys',
		request: obj({ title: str, key: { type: 'string', pattern: '^ssh-' }, read_only: bool }, ['key'], false),
		responses: { 201: deployKey, ...errors }
	},
	{ method: 'DELETE', path: '/repos/{owner}/{repo}/keys/{key_id}', responses: { 204: null, ...errors } }
];
