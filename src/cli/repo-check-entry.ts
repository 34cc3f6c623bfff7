/** What build-validator.ts bundles into a config repository's `.github/nassella/validate.mjs`. */
import { repoCheck } from './repo-check.ts';

process.exitCode = repoCheck(process.argv.slice(2));
