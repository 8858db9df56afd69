/**
 * The long version of the suite: `deno task test --soak` (or `SOAK=1`) makes the fault tests run
 * with more users, more messages and longer (see docs/reliability.md); without it every test is
 * bounded for CI.
 *
 * @module
 */

/** True when the long version was asked for. */
export const soak: boolean = Deno.env.get("SOAK") === "1";
