/**
 * deSEC publishes no OpenAPI document. This one is written from deSEC's documentation
 * (desec.readthedocs.io: "Domain Management", "Retrieving and Manipulating DNS Information",
 * "User Registration and Management") and covers only what nassella uses. Not an official spec.
 */
const error = { type: 'object', properties: { detail: { type: 'string' } } };
const domain = {
	type: 'object',
	required: ['created', 'name', 'minimum_ttl', 'published', 'touched'],
	additionalProperties: false,
	properties: {
		created: { type: 'string', format: 'date-time' },
		name: { type: 'string', pattern: '^([a-z0-9_-]+\\.)+[a-z0-9-]+$' },
		minimum_ttl: { type: 'integer', minimum: 1 },
		published: { type: ['string', 'null'], format: 'date-time' },
		touched: { type: 'string', format: 'date-time' },
		keys: { type: 'array' }
	}
};
const rrset = {
	type: 'object',
	required: ['created', 'domain', 'subname', 'name', 'records', 'ttl', 'type', 'touched'],
	additionalProperties: false,
	properties: {
		created: { type: 'string', format: 'date-time' },
		domain: { type: 'string' },
		subname: { type: 'string' },
		name: { type: 'string', pattern: '\\.$' },
		records: { type: 'array', items: { type: 'string' } },
		ttl: { type: 'integer' },
		type: { type: 'string', pattern: '^[A-Z0-9]+$' },
		touched: { type: 'string', format: 'date-time' }
	}
};
const rrsetWrite = {
	type: 'object',
	required: ['subname', 'type', 'records'],
	additionalProperties: false,
	properties: {
		subname: { type: 'string' },
		type: { type: 'string', pattern: '^[A-Z0-9]+$' },
		ttl: { type: 'integer', minimum: 1 },
		records: { type: 'array', items: { type: 'string' } }
	}
};
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errors = {
	'400': json({}),
	'401': json(error),
	'403': json(error),
	'404': json(error),
	'409': json({}),
	'429': json(error),
	'5XX': json({})
};
const q = (name: string) => ({ name, in: 'query', schema: { type: 'string' } });

export const desecSpec = {
	openapi: '3.0.3',
	info: { title: 'deSEC (subset, written from the documentation)', version: '1' },
	paths: {
		'/api/v1/auth/account/': {
			get: {
				responses: {
					'200': json({
						type: 'object',
						required: ['email', 'limit_domains'],
						properties: {
							email: { type: 'string' },
							limit_domains: { type: 'integer' },
							created: { type: 'string' },
							outreach_preference: { type: 'boolean' }
						}
					}),
					...errors
				}
			}
		},
		'/api/v1/domains/': {
			get: {
				parameters: [q('owns_qname'), q('cursor')],
				responses: { '200': json({ type: 'array', items: domain }), ...errors }
			},
			post: {
				requestBody: {
					required: true,
					...json({
						type: 'object',
						required: ['name'],
						additionalProperties: false,
						properties: { name: { type: 'string' } }
					})
				},
				responses: { '201': json(domain), ...errors }
			}
		},
		'/api/v1/domains/{name}/rrsets/': {
			get: {
				parameters: [q('subname'), q('type'), q('cursor')],
				responses: { '200': json({ type: 'array', items: rrset }), ...errors }
			},
			patch: {
				requestBody: { required: true, ...json({ type: 'array', items: rrsetWrite }) },
				responses: { '200': json({ type: 'array', items: rrset }), ...errors }
			}
		},
		'/api/v1/domains/{name}/rrsets/{subname}/{type}/': {
			delete: { responses: { '204': {}, ...errors } }
		}
	}
};
