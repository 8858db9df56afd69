/**
 * Counts the atomic commits made on a KV database, to check (tests) and show (bench/) how well
 * writes are batched, and the reads, to check that hot paths answer from memory.
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

/** From now on, counts the reads (`get` and `getMany` calls) made on `kv`. */
export function countGets(kv: Deno.Kv): { readonly gets: number } {
  const counter = { gets: 0 };
  const get = kv.get.bind(kv);
  kv.get = ((key: Deno.KvKey, options?: { consistency?: Deno.KvConsistencyLevel }) => {
    counter.gets++;
    return get(key, options);
  }) as typeof kv.get;
  const getMany = kv.getMany.bind(kv);
  kv.getMany = ((keys: Deno.KvKey[], options?: { consistency?: Deno.KvConsistencyLevel }) => {
    counter.gets++;
    return getMany(keys, options);
  }) as typeof kv.getMany;
  return counter;
}
