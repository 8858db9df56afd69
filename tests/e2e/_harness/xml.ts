/**
 * Typed XML helpers for e2e tests: they live in `dev/xml.ts`, shared with `deno task demo`.
 *
 * @module
 */

export * from "../../../dev/xml.ts";
