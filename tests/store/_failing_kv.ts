/**
 * A Deno KV whose writes fail on demand, the way a full disk or a file system gone read-only
 * makes SQLite fail them: reads go on working, every `set`, `delete` and atomic `commit` throws
 * while {@link StoreFault.failing} is true.
 *
 * @module
 */

/** Switches the failure on and off, and counts the writes it refused. */
export class StoreFault {
  failing = false;
  refused = 0;
  error(): Error {
    this.refused++;
    return new Error("database or disk is full");
  }
}

/** `kv` with its writes failing while `fault.failing`. */
export function failingKv(kv: Deno.Kv, fault: StoreFault): Deno.Kv {
  const guard = <T>(write: () => Promise<T>): Promise<T> =>
    fault.failing ? Promise.reject(fault.error()) : write();
  return new Proxy(kv, {
    get(target, property) {
      if (property === "set" || property === "delete") {
        const method = target[property] as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => guard(() => method.apply(target, args));
      }
      if (property === "atomic") {
        return () => {
          const operation = target.atomic();
          const wrapped: Deno.AtomicOperation = new Proxy(operation, {
            get(op, name) {
              if (name === "commit") return () => guard(() => op.commit());
              const value = Reflect.get(op, name, op);
              if (typeof value !== "function") return value;
              return (...args: unknown[]) => {
                const result = value.apply(op, args);
                return result === op ? wrapped : result;
              };
            },
          });
          return wrapped;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
