/**
 * The composition root only wires (see README, "How it is built"): src/lib/main picks
 * adapters for the ports and hands them to services and state. A flow — a loop over work,
 * recovering from a failure, writing DNS records, moving a state machine — belongs in
 * src/lib/services, where it has tests. This rule fails on those in src/lib/main, and
 * `max-lines` keeps each wiring file small enough to read at a glance.
 * Proven by tests/lint/composition-root.test.ts.
 */

const WHERE = 'src/lib/main only wires adapters to ports';
const MOVE = 'move it into src/lib/services (with tests)';

/** Calls that change the outside world or an operation's state: a service's work. */
const FLOW_CALLS = new Set(['upsert', 'transition', 'moveTransition', 'performStep', 'performMoveStep']);

/** @type {import('eslint').Rule.RuleModule} */
const onlyWires = {
	meta: {
		type: 'problem',
		docs: { description: 'src/lib/main wires adapters to ports and runs no flows.' },
		schema: [],
		messages: {
			loop: `${WHERE}: a loop is a flow; ${MOVE}.`,
			recovery: `${WHERE}: recovering from a failure is a flow; ${MOVE}.`,
			call: `${WHERE}: "{{name}}" writes records or moves an operation's state; ${MOVE}.`
		}
	},
	create(context) {
		/** @param {import('estree').Node} node */
		const loop = (node) => context.report({ node, messageId: 'loop' });
		return {
			ForStatement: loop,
			ForInStatement: loop,
			ForOfStatement: loop,
			WhileStatement: loop,
			DoWhileStatement: loop,
			TryStatement: (node) => context.report({ node, messageId: 'recovery' }),
			CallExpression(node) {
				const callee = node.callee;
				const name =
					callee.type === 'Identifier'
						? callee.name
						: callee.type === 'MemberExpression' && callee.property.type === 'Identifier'
							? callee.property.name
							: undefined;
				if (name && FLOW_CALLS.has(name)) context.report({ node, messageId: 'call', data: { name } });
			}
		};
	}
};

export const compositionRootPlugin = { rules: { 'only-wires': onlyWires } };

/** The largest wiring file, counted without blank lines and comments. */
export const MAIN_MAX_LINES = 260;

export const compositionRoot = [
	{
		files: ['src/lib/main/**/*.ts'],
		ignores: ['src/lib/main/**/*.spec.ts', 'src/lib/main/**/*.d.ts'],
		plugins: { nassella: compositionRootPlugin },
		rules: {
			'nassella/only-wires': 'error',
			'max-lines': ['error', { max: MAIN_MAX_LINES, skipBlankLines: true, skipComments: true }]
		}
	}
];
