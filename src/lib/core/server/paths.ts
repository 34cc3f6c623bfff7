/** Where things live on the server. Every script and unit reads them from here. */
export const ROOT = '/var/lib/nassella';
export const DATA_DIR = `${ROOT}/data`;
export const DUMPS_DIR = `${ROOT}/dumps`;
export const STATUS_DIR = `${ROOT}/status`;
export const CADDY_DIR = `${ROOT}/caddy`;
export const RUN_DIR = '/run/nassella';
export const ENV_RUN_DIR = `${RUN_DIR}/env`;
export const GATEWAY_DIR = `${RUN_DIR}/gateway`;
export const JOURNAL_SOCKET = `${GATEWAY_DIR}/journal.sock`;
export const ETC_DIR = '/etc/nassella';
export const BIN_DIR = '/opt/nassella/bin';
export const COMPOSE_PROJECT = 'nassella';
export const DATA_LABEL = 'nassella-data';
