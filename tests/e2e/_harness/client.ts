/**
 * The e2e tests' XMPP client: it lives in `dev/xmpp_client.ts`, shared with `deno task demo`.
 *
 * @module
 */

export * from "../../../dev/xmpp_client.ts";
