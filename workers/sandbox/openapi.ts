/**
 * Validates a fake's requests and responses against an OpenAPI 3.0 document (the official
 * spec, or the committed subset of it). OpenAPI 3.0 schemas are close to JSON Schema; the
 * differences that matter (`nullable`, local `$ref`s into the document) are converted once.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;

type Json = Record<string, unknown>;

interface Operation {
	method: string;
	template: string;
	regex: RegExp;
	op: Json;
	params: number;
}

const DOC_ID = 'openapi-doc';

function convert(node: unknown): unknown {
	if (Array.isArray(node)) return node.map(convert);
	if (!node || typeof node !== 'object') return node;
	const out: Json = {};
	for (const [k, v] of Object.entries(node as Json)) {
		if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) out[k] = DOC_ID + v;
		else if (['example', 'examples', 'discriminator', 'xml', 'externalDocs', 'x-codeSamples'].includes(k)) continue;
		else out[k] = convert(v);
	}
	if (out.nullable === true) {
		delete out.nullable;
		if (typeof out.type === 'string') {
			out.type = [out.type, 'null'];
			if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
		} else return { anyOf: [out, { type: 'null' }] };
	}
	return out;
}

export interface Violation {
	where: 'request' | 'response';
	method: string;
	path: string;
	status?: number;
	errors: string;
}

export class SpecValidator {
	private readonly ajv: Ajv;
	private readonly ops: Operation[] = [];
	private readonly doc: Json;
	private readonly cache = new Map<string, ValidateFunction>();
	private readonly basePath: string;

	constructor(doc: Json, basePath = '') {
		this.doc = doc;
		this.basePath = basePath;
		// Patterns as the specs write them, for JavaScript without the `u` flag: DigitalOcean's tag
		// name pattern escapes a colon (`\:`), which is an error in a unicode RegExp.
		this.ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true, unicodeRegExp: false });
		addFormats(this.ajv);
		// Formats the providers' specs use beyond JSON Schema's own.
		this.ajv.addFormat('decimal', /^-?\d+(\.\d+)?$/);
		this.ajv.addFormat('int64', { type: 'number', validate: Number.isInteger });
		this.ajv.addFormat('int32', { type: 'number', validate: Number.isInteger });
		this.ajv.addSchema(convert(doc) as Json, DOC_ID);
		for (const [template, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
			for (const [method, op] of Object.entries(item)) {
				if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
				const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '([^/]+)');
				const regex = new RegExp('^' + source.replace(/\{[^}]+\}/g, '([^/]+)') + '$');
				this.ops.push({
					method: method.toUpperCase(),
					template,
					regex,
					op: op as Json,
					params: (template.match(/\{/g) ?? []).length
				});
			}
		}
		this.ops.sort((a, b) => a.params - b.params);
	}

	private resolve(node: unknown): Json {
		let n = node as Json;
		for (let i = 0; i < 20 && n && typeof n.$ref === 'string'; i++) {
			n = (n.$ref as string)
				.slice(2)
				.split('/')
				.reduce<unknown>((a, k) => (a as Json)[k.replace(/~1/g, '/').replace(/~0/g, '~')], this.doc) as Json;
		}
		return n;
	}

	private find(method: string, path: string): Operation | undefined {
		const p = this.basePath && path.startsWith(this.basePath) ? path.slice(this.basePath.length) : path;
		return this.ops.find((o) => o.method === method && o.regex.test(p));
	}

	private compile(key: string, schema: unknown): ValidateFunction {
		let fn = this.cache.get(key);
		if (!fn) {
			fn = this.ajv.compile(convert(schema) as Json);
			this.cache.set(key, fn);
		}
		return fn;
	}

	/** The operation this request maps to, or undefined if the spec has none (itself a violation). */
	operation(method: string, path: string): string | undefined {
		const o = this.find(method, path);
		return o && `${o.method} ${o.template}`;
	}

	checkRequest(method: string, path: string, query: URLSearchParams, body: unknown): string | undefined {
		const o = this.find(method, path);
		if (!o) return `no operation ${method} ${path} in the spec`;
		const params = [...((o.op.parameters as unknown[]) ?? [])].map((p) => this.resolve(p));
		for (const [name, value] of query) {
			const param = params.find((p) => p.in === 'query' && p.name === name);
			if (!param) return `query parameter "${name}" is not in the spec for ${o.method} ${o.template}`;
			const schema = this.resolve(param.schema ?? {});
			const typed =
				schema.type === 'integer' || schema.type === 'number'
					? Number(value)
					: schema.type === 'boolean'
						? value === 'true'
						: value;
			const v = schema.type === 'array' ? value.split(',') : typed;
			const fn = this.compile(`q ${o.method} ${o.template} ${name}`, schema);
			if (!fn(v)) return `query ${name}: ${this.ajv.errorsText(fn.errors)}`;
		}
		for (const p of params)
			if (p.in === 'query' && p.required && !query.has(p.name as string)) return `missing query ${p.name as string}`;
		const rb = o.op.requestBody ? this.resolve(o.op.requestBody) : undefined;
		if (body === undefined) {
			if (rb?.required) return 'missing request body';
			return undefined;
		}
		const schema = (rb?.content as Json | undefined)?.['application/json'] as Json | undefined;
		if (!schema?.schema) return `${o.method} ${o.template} takes no JSON body`;
		const fn = this.compile(`req ${o.method} ${o.template}`, schema.schema);
		if (!fn(body)) return this.ajv.errorsText(fn.errors);
		return undefined;
	}

	checkResponse(method: string, path: string, status: number, body: unknown): string | undefined {
		const o = this.find(method, path);
		if (!o) return `no operation ${method} ${path} in the spec`;
		const responses = (o.op.responses ?? {}) as Json;
		const key =
			String(status) in responses
				? String(status)
				: `${String(status)[0]}XX` in responses
					? `${String(status)[0]}XX`
					: `${String(status)[0]}xx` in responses
						? `${String(status)[0]}xx`
						: 'default' in responses
							? 'default'
							: undefined;
		if (!key) return `status ${status} is not documented for ${o.method} ${o.template}`;
		const response = this.resolve(responses[key]);
		const content = (response.content as Json | undefined)?.['application/json'] as Json | undefined;
		if (!content?.schema)
			return body === undefined || body === ''
				? undefined
				: `status ${status} of ${o.method} ${o.template} has no JSON body in the spec`;
		const fn = this.compile(`res ${o.method} ${o.template} ${key}`, content.schema);
		if (!fn(body)) return `${o.method} ${o.template} ${status}: ${this.ajv.errorsText(fn.errors)}`;
		return undefined;
	}
}
