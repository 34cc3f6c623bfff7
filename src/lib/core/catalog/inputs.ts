/** Validation of the values a person gives for an app's inputs. */
import type { AppManifest, InputSpec } from './types.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The problem with one value, in plain words, or undefined when it is fine. */
export function checkInput(spec: InputSpec, value: string | undefined): string | undefined {
	const v = value ?? spec.default;
	if (v === undefined || v === '') return spec.required ? `${spec.label} is needed.` : undefined;
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f]/.test(v)) return `${spec.label} cannot contain line breaks or control characters.`;
	if (spec.minLength !== undefined && v.length < spec.minLength)
		return `${spec.label} needs at least ${spec.minLength} characters.`;
	if (spec.maxLength !== undefined && v.length > spec.maxLength)
		return `${spec.label} can have at most ${spec.maxLength} characters.`;
	switch (spec.type) {
		case 'email':
			if (!EMAIL.test(v)) return `${spec.label} must be an email address, like name@example.org.`;
			break;
		case 'boolean':
			if (v !== 'true' && v !== 'false') return `${spec.label} must be yes or no.`;
			break;
		case 'select':
			if (!spec.options?.some((o) => o.value === v)) return `${spec.label}: choose one of the offered options.`;
			break;
	}
	if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`, 'u').test(v))
		return spec.patternHelp ?? `${spec.label} is not in the expected form.`;
	return undefined;
}

/** Problems per input id (empty when every value is fine). */
export function checkInputs(
	manifest: Pick<AppManifest, 'inputs'>,
	values: Record<string, string>
): Record<string, string> {
	const problems: Record<string, string> = {};
	for (const spec of manifest.inputs) {
		const p = checkInput(spec, values[spec.id]);
		if (p) problems[spec.id] = p;
	}
	return problems;
}
