export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'nassella.theme';

export function storedTheme(): ThemeChoice {
	const value = globalThis.localStorage?.getItem(KEY);
	return value === 'light' || value === 'dark' ? value : 'system';
}

export function setTheme(choice: ThemeChoice): void {
	if (choice === 'system') localStorage.removeItem(KEY);
	else localStorage.setItem(KEY, choice);
	applyStoredTheme();
}

/** Light or dark follows the device unless the person picked one in Settings. */
export function applyStoredTheme(): void {
	const choice = storedTheme();
	if (choice === 'system') document.documentElement.removeAttribute('data-theme');
	else document.documentElement.setAttribute('data-theme', choice);
}
