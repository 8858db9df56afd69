/**
 * Runs first in the fca Worker, before fca-unofficial is evaluated: silences Node deprecation
 * warnings (fca's dependencies load `punycode`), which would otherwise go to stderr once per
 * account.
 *
 * @module
 */

import process from "node:process";

(process as { noDeprecation?: boolean }).noDeprecation = true;
