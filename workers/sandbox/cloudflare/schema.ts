/**
 * Cloudflare's API schemas (cloudflare/api-schemas) are not in ../shared/specs and are too big
 * to vendor; this subset is written from Cloudflare's API documentation ("DNS Records for a
 * Zone", "Zone", "Verify Token") and covers only what nassella uses. Not an official spec.
 */
const message = {
	type: 'object',
	required: ['code', 'message'],
	properties: { code: { type: 'integer' }, message: { type: 'string' } }
};
const envelope = (result: unknown, extra: Record<string, unknown> = {}) => ({
	type: 'object',
	required: ['success', 'errors', 'messages', 'result'],
	properties: {
		success: { type: 'boolean' },
		errors: { type: 'array', items: message },
		messages: { type: 'array', items: message },
		result,
		...extra
	}
});
const resultInfo = {
	result_info: {
		type: 'object',
		required: ['page', 'per_page', 'count', 'total_count'],
		properties: {
			page: { type: 'integer' },
			per_page: { type: 'integer' },
			count: { type: 'integer' },
			total_count: { type: 'integer' }
		}
	}
};
const zone = {
	type: 'object',
	required: ['id', 'name', 'status'],
	properties: {
		id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
		name: { type: 'string' },
		status: { enum: ['initializing', 'pending', 'active', 'moved'] }
	}
};
const caaData = {
	type: 'object',
	required: ['flags', 'tag', 'value'],
	additionalProperties: false,
	properties: {
		flags: { type: 'integer', minimum: 0, maximum: 255 },
		tag: { type: 'string' },
		value: { type: 'string' }
	}
};
const record = {
	type: 'object',
	required: ['id', 'name', 'type', 'content', 'ttl', 'proxied', 'created_on', 'modified_on'],
	properties: {
		id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
		name: { type: 'string' },
		type: { enum: ['A', 'AAAA', 'CNAME', 'CAA', 'TXT', 'MX', 'NS'] },
		content: { type: 'string' },
		ttl: { type: 'integer' },
		proxied: { type: 'boolean' },
		proxiable: { type: 'boolean' },
		data: caaData,
		comment: { type: ['string', 'null'] },
		created_on: { type: 'string', format: 'date-time' },
		modified_on: { type: 'string', format: 'date-time' }
	}
};
const recordWrite = {
	type: 'object',
	required: ['type', 'name', 'ttl'],
	additionalProperties: false,
	properties: {
		type: { enum: ['A', 'AAAA', 'CNAME', 'CAA', 'TXT'] },
		name: { type: 'string', maxLength: 255 },
		content: { type: 'string' },
		data: caaData,
		ttl: { type: 'integer', anyOf: [{ const: 1 }, { minimum: 60, maximum: 86400 }] },
		proxied: { type: 'boolean' },
		comment: { type: 'string', maxLength: 100 }
	}
};
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const failure = json(envelope({ type: 'null' }));
const errors = { '400': failure, '401': failure, '403': failure, '404': failure, '429': failure, '5XX': failure };
const q = (name: string, type = 'string', limits: { minimum?: number; maximum?: number } = {}) => ({
	name,
	in: 'query',
	schema: { type, ...limits }
});

export const cloudflareSpec = {
	openapi: '3.0.3',
	info: { title: 'Cloudflare API v4 (subset, written from the documentation)', version: '4' },
	paths: {
		'/client/v4/user/tokens/verify': {
			get: {
				responses: {
					'200': json(
						envelope({
							type: 'object',
							required: ['id', 'status'],
							properties: {
								id: { type: 'string' },
								status: { enum: ['active', 'disabled', 'expired'] },
								expires_on: { type: 'string' }
							}
						})
					),
					...errors
				}
			}
		},
		'/client/v4/zones': {
			get: {
				// "List Zones": per_page from 5 to 50 (default 20).
				parameters: [q('name'), q('page', 'integer'), q('per_page', 'integer', { minimum: 5, maximum: 50 })],
				responses: { '200': json(envelope({ type: 'array', items: zone }, resultInfo)), ...errors }
			}
		},
		'/client/v4/zones/{zone_id}/dns_records': {
			get: {
				// "List DNS Records": per_page from 5 to 5,000,000 (default 100).
				parameters: [
					q('name'),
					q('type'),
					q('page', 'integer'),
					q('per_page', 'integer', { minimum: 5, maximum: 5_000_000 })
				],
				responses: { '200': json(envelope({ type: 'array', items: record }, resultInfo)), ...errors }
			},
			post: {
				requestBody: { required: true, ...json(recordWrite) },
				responses: { '200': json(envelope(record)), ...errors }
			}
		},
		'/client/v4/zones/{zone_id}/dns_records/{dns_record_id}': {
			put: {
				requestBody: { required: true, ...json(recordWrite) },
				responses: { '200': json(envelope(record)), ...errors }
			},
			delete: {
				responses: {
					'200': json(envelope({ type: 'object', required: ['id'], properties: { id: { type: 'string' } } })),
					...errors
				}
			}
		}
	}
};
