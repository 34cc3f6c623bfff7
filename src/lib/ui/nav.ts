export interface NavItem {
	href: string;
	label: string;
}

export const NAV: readonly NavItem[] = [
	{ href: '/', label: 'Home' },
	{ href: '/apps', label: 'Apps' },
	{ href: '/setup', label: 'Set up' },
	{ href: '/dashboard', label: 'Dashboard' },
	{ href: '/move', label: 'Move' },
	{ href: '/vault', label: 'Vault' },
	{ href: '/settings', label: 'Settings' }
];

export function isCurrent(pathname: string, href: string): boolean {
	return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(href + '/');
}
