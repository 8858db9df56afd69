/**
 * Deleting many KV keys: in atomic operations of at most 500 mutations each, within Deno KV's
 * per-operation limit. Shared by unregistration and answered message requests.
 *
 * @module
 */

/** Keys deleted per atomic operation. */
const CHUNK = 500;

/** Deletes `keys` (chunked); resolves with how many were deleted. */
export async function deleteKeys(kv: Deno.Kv, keys: readonly Deno.KvKey[]): Promise<number> {
  for (let i = 0; i < keys.length; i += CHUNK) {
    const op = kv.atomic();
    for (const key of keys.slice(i, i + CHUNK)) op.delete(key);
    await op.commit();
  }
  return keys.length;
}
