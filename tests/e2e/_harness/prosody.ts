/**
 * The e2e tests' Prosody: the launcher lives in `dev/prosody.ts`, shared with `deno task demo`.
 *
 * @module
 */

export * from "../../../dev/prosody.ts";
