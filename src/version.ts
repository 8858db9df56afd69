/**
 * The program's name and release, shown by `--version`, XEP-0092 and logs. Kept equal to
 * deno.json's `version` by a test.
 *
 * @module
 */

/** The program name. */
export const PROGRAM_NAME = "messenger-gateway";
/** The release. */
export const VERSION = "0.1.0";
