import type { GitIdentity } from '../core/git/objects.ts';

/** Name and address on the config repo's commits; the signature, not these, is what the server trusts. */
export const COMMIT_IDENTITY: GitIdentity = { name: 'nassella', email: 'nassella@users.noreply.invalid' };
