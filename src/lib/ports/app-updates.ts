/** A newer build of the app that is installed and waiting to take over. */
export interface AppUpdates {
	/** Starts watching for new versions; `onReady` fires once one is installed and waiting. */
	watch(onReady: () => void): Promise<void>;
	/** Asks the waiting version to take over, then reloads the page. */
	activate(): Promise<void>;
	/** Looks for a new version now. */
	check(): Promise<void>;
}

/** Cross-tab record of long operations (a deploy, a move) that must not be interrupted. */
export interface OperationLocks {
	/** Runs `fn` while holding a lock named after the operation, visible to every tab. */
	hold<T>(operation: string, fn: () => Promise<T>): Promise<T>;
	/** Names of the operations running in any tab of this app. */
	running(): Promise<string[]>;
}
