/**
 * Counts the atomic commits made on a KV database, to check (tests) and show (bench/) how well
 * writes are batched.
 *
 * @module
 */

/** From now on, counts the commits of `kv`'s atomic operations; read `commits` at any time. */
export function countCommits(kv: Deno.Kv): { readonly commits: number } {
  const counter = { commits: 0 };
  const atomic = kv.atomic.bind(kv);
  kv.atomic = () => {
    const op = atomic();
    const commit = op.commit.bind(op);
    op.commit = () => {
      counter.commits++;
      return commit();
    };
    return op;
  };
  return counter;
}
