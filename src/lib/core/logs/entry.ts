/**
 * Journal entries, as systemd-journal-gatewayd sends them with `Accept: application/json`
 * (one object per line), turned into compact log lines for the log view.
 *
 * Everything in an entry comes from the person's server and from whatever its apps print,
 * so it is hostile: text is only ever shown as text, terminal escapes and control
 * characters are removed, direction overrides cannot reorder what is shown, and every
 * field is bounded.
 */
import { COMPOSE_PROJECT } from '../server/paths.ts';

/** syslog priorities, as journald keeps them in PRIORITY (0 = emergency … 7 = debug). */
export const LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'] as const;
export type LevelName = (typeof LEVELS)[number];

/** Entries without a PRIORITY are shown as info (what Docker uses for stdout). */
export const DEFAULT_LEVEL = 6;

/** The longest message text kept per line; longer text ends with an ellipsis. */
export const MAX_TEXT = 4096;
const MAX_NAME = 128;
const MAX_CURSOR = 512;

export interface LogLine {
	/** gatewayd's `__CURSOR`: where to resume after this entry. */
	cursor: string;
	/** Milliseconds since the epoch (0 when the entry carried no usable time). */
	time: number;
	/** 0 (emergency) … 7 (debug). */
	level: number;
	/** The catalog app this came from, or '' for the server's own services. */
	app: string;
	/** The container or systemd unit (or syslog identifier) that wrote it. */
	unit: string;
	/** The message, cleaned to plain printable text on one line. */
	text: string;
}

// Terminal escape sequences: CSI (ESC [ … final byte, or the 8-bit CSI), OSC/DCS/SOS/PM/APC
// strings (up to BEL or ST, or the end), and two-byte escapes (ESC + one character).
const ESCAPES =
	// eslint-disable-next-line no-control-regex
	/(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
// What is left after escapes: C0 and C1 controls, DEL, line and paragraph separators, and
// the invisible formatting characters that can reorder or hide text (bidi overrides and
// isolates, zero-width joiners, the BOM).
const CONTROLS =
	// eslint-disable-next-line no-control-regex
	/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;
const BREAKS = /[\t\n]+/g;

/** Plain, printable, one-line text: escapes and control characters removed, tabs and newlines become spaces. */
export function cleanText(raw: string, max = MAX_TEXT): string {
	// Bound the work first: nothing past a generous multiple of the limit is ever shown.
	const bounded = raw.length > max * 4 ? raw.slice(0, max * 4) : raw;
	let text = bounded.replace(ESCAPES, '').replace(CONTROLS, '').replace(BREAKS, ' ');
	// A lone surrogate left by slicing shows as a replacement character.
	text = text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
	if (text.length > max) text = text.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '') + '…';
	else if (bounded !== raw) text += '…';
	return text.trimEnd();
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * A journal field's value as text: gatewayd sends a string, or an array of byte values for
 * binary data (and for text that is not valid UTF-8); fields that occur more than once come
 * as an array of those.
 */
export function fieldText(value: unknown, max = MAX_TEXT): string {
	if (typeof value === 'string') return value.length > max * 4 ? value.slice(0, max * 4) : value;
	if (Array.isArray(value)) {
		if (value.length === 0) return '';
		if (typeof value[0] === 'number' || value.every((b) => typeof b === 'number')) {
			const n = Math.min(value.length, max * 4);
			const bytes = new Uint8Array(n);
			for (let i = 0; i < n; i++) {
				const b = value[i] as unknown;
				bytes[i] = typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255 ? b : 0x3f;
			}
			return decoder.decode(bytes);
		}
		// A repeated field: the first value that reads as text.
		return fieldText(value[0], max);
	}
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return '';
}

/** A journal PRIORITY as 0–7, DEFAULT_LEVEL when missing or malformed. */
export function parseLevel(value: unknown): number {
	const s = fieldText(value, 8).trim();
	return /^[0-7]$/.test(s) ? Number(s) : DEFAULT_LEVEL;
}

/** `__REALTIME_TIMESTAMP` (microseconds since the epoch, as a decimal string) in milliseconds. */
export function parseTime(value: unknown): number {
	const s = fieldText(value, 32).trim();
	if (!/^[0-9]{1,17}$/.test(s)) return 0;
	return Math.floor(Number(s) / 1000);
}

const CONTAINER = new RegExp(`^${COMPOSE_PROJECT}-([a-z0-9][a-z0-9_.-]*?)-([0-9]{1,6})$`);

/**
 * The app a container belongs to. The server generator runs one Compose project,
 * `nassella`, whose services are named after their app (`<app>` or `<app>-<part>`), and
 * Compose names containers `<project>-<service>-<n>`. With the deployment's app ids the
 * longest matching id wins (an app `paperless-ngx` before an app `paperless`); without
 * them the service name stands for the app. Caddy, the front door, is `caddy`; a container
 * from outside the project keeps its own name.
 */
export function appForContainer(containerName: string, appIds: readonly string[] = []): string {
	const name = containerName.replace(/^\//, '');
	const m = CONTAINER.exec(name);
	if (!m) return name;
	const service = m[1]!;
	let best = '';
	for (const id of appIds) if ((service === id || service.startsWith(id + '-')) && id.length > best.length) best = id;
	return best || service;
}

/**
 * One gatewayd entry as a log line; undefined when it is not an object. Docker's journald
 * driver tags container output with CONTAINER_NAME; everything else is the server's own
 * services (sync, backup, updates), shown under their unit.
 */
export function toLogLine(entry: unknown, appIds: readonly string[] = []): LogLine | undefined {
	if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
	const e = entry as Record<string, unknown>;
	const container = cleanText(fieldText(e.CONTAINER_NAME, MAX_NAME), MAX_NAME);
	let app = '';
	let unit: string;
	if (container) {
		app = appForContainer(container, appIds);
		unit = container;
	} else {
		unit = cleanText(fieldText(e._SYSTEMD_UNIT, MAX_NAME), MAX_NAME);
		if (!unit || unit === 'init.scope')
			unit =
				cleanText(fieldText(e.SYSLOG_IDENTIFIER, MAX_NAME), MAX_NAME) ||
				unit ||
				cleanText(fieldText(e._COMM, MAX_NAME), MAX_NAME);
	}
	const cursorRaw = fieldText(e.__CURSOR, MAX_CURSOR);
	return {
		cursor: /^[\x21-\x7e]{1,512}$/.test(cursorRaw) ? cursorRaw : '',
		time: parseTime(e.__REALTIME_TIMESTAMP),
		level: parseLevel(e.PRIORITY),
		app,
		unit,
		text: cleanText(fieldText(e.MESSAGE))
	};
}

/** Many entries at once, skipping what is not an entry. */
export function toLogLines(entries: readonly unknown[], appIds: readonly string[] = []): LogLine[] {
	const out: LogLine[] = [];
	for (const e of entries) {
		const line = toLogLine(e, appIds);
		if (line) out.push(line);
	}
	return out;
}

export function levelName(level: number): LevelName {
	return LEVELS[Math.min(7, Math.max(0, Math.trunc(level)))] ?? 'info';
}
