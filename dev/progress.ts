/**
 * Progress lines with timings for the dev/ command-line tools ("Starting XMPP server… 0.4 s"), so
 * a newcomer sees what is happening and how long each part takes, without the tools' own chatter.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes text to stdout as it is (no newline added). */
export function write(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text));
}

/** Seconds since `start` (a `performance.now()` value), one decimal: "0.4 s". */
export function seconds(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

/**
 * Prints `title…`, runs `work`, then completes the line with its duration (or "failed"). The
 * result of `work` is returned; its error is rethrown after the line is completed.
 */
export async function step<T>(title: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  write(`${title}… `);
  try {
    const result = await work();
    write(`${seconds(start)}\n`);
    return result;
  } catch (error) {
    write(`failed after ${seconds(start)}\n`);
    throw error;
  }
}
