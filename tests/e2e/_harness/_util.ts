/**
 * The harness's timing helpers: they live in `dev/_util.ts`, shared with `deno task demo`.
 *
 * @module
 */

export * from "../../../dev/_util.ts";
