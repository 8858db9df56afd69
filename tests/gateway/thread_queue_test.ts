import assert from "node:assert/strict";
import { asThreadId } from "../../src/messenger/ids.ts";
import {
  type ThreadKey,
  ThreadQueueCancelledError,
  ThreadQueueFullError,
  ThreadQueues,
  ThreadTaskTimeoutError,
} from "../../src/gateway/thread_queue.ts";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const T1 = asThreadId("1001");
const T2 = asThreadId("1002");

/** A promise settled from the outside, so tests decide exactly when a task finishes. */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function queues(options: { maxTasksPerThread?: number; taskTimeoutMs?: number } = {}) {
  const errors: { error: unknown; key: ThreadKey }[] = [];
  const q = new ThreadQueues({ onError: (error, key) => errors.push({ error, key }), ...options });
  return { q, errors };
}

Deno.test("tasks of one thread run strictly in order, one at a time", async () => {
  const { q } = queues();
  const log: string[] = [];
  const gates = [deferred(), deferred(), deferred()];
  const done = gates.map((gate, i) =>
    q.run(ALICE, T1, async () => {
      log.push(`start ${i}`);
      await gate.promise;
      log.push(`end ${i}`);
    })
  );
  await settle();
  assert.deepEqual(log, ["start 0"]);
  // Finishing out of order changes nothing: task 1 only starts once task 0 ends.
  gates[2].resolve();
  gates[1].resolve();
  await settle();
  assert.deepEqual(log, ["start 0"]);
  gates[0].resolve();
  await Promise.all(done);
  assert.deepEqual(log, ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]);
});

Deno.test("a hung task in one thread does not block other threads or other users", async () => {
  const { q } = queues();
  const never = deferred();
  void q.run(ALICE, T1, () => never.promise);
  const other = await q.run(ALICE, T2, () => "thread 2 ran");
  const bob = await q.run(BOB, T1, () => "bob's thread 1 ran");
  assert.equal(other, "thread 2 ran");
  assert.equal(bob, "bob's thread 1 ran");
  assert.equal(q.tasksOf(ALICE, T1), 1);
  never.resolve();
});

Deno.test("run resolves with the task's value and rejects with its error", async () => {
  const { q, errors } = queues();
  assert.equal(await q.run(ALICE, T1, () => 42), 42);
  assert.equal(await q.run(ALICE, T1, () => Promise.resolve("async")), "async");
  await assert.rejects(
    q.run(ALICE, T1, () => {
      throw new Error("sync boom");
    }),
    /sync boom/,
  );
  await assert.rejects(q.run(ALICE, T1, () => Promise.reject(new Error("async boom"))), /async/);
  assert.equal(errors.length, 0, "run's caller owns its errors");
});

Deno.test("a throwing posted task is reported and the next task still runs", async () => {
  const { q, errors } = queues();
  const ran: number[] = [];
  q.post(ALICE, T1, () => {
    throw new Error("first fails");
  });
  q.post(ALICE, T1, () => Promise.reject(new Error("second fails")));
  q.post(ALICE, T1, () => void ran.push(3));
  await q.run(ALICE, T1, () => {});
  assert.deepEqual(ran, [3]);
  assert.deepEqual(errors.map((e) => (e.error as Error).message), ["first fails", "second fails"]);
  assert.deepEqual(errors[0].key, { user: ALICE, thread: T1 });
});

Deno.test("a full thread refuses new work with a clear error; other threads are unaffected", async () => {
  const { q, errors } = queues({ maxTasksPerThread: 2 });
  const gate = deferred();
  const first = q.run(ALICE, T1, () => gate.promise);
  const second = q.run(ALICE, T1, () => "second");
  const third = q.run(ALICE, T1, () => "third");
  await assert.rejects(third, (error: unknown) => {
    assert.ok(error instanceof ThreadQueueFullError);
    assert.equal(
      error.message,
      "Too much is waiting in this conversation: 2 tasks are queued already",
    );
    assert.deepEqual(error.key, { user: ALICE, thread: T1 });
    return true;
  });
  assert.equal(q.post(ALICE, T1, () => {}), false);
  assert.ok(errors[0].error instanceof ThreadQueueFullError);
  assert.equal(await q.run(ALICE, T2, () => "other thread"), "other thread");

  gate.resolve();
  await first;
  assert.equal(await second, "second");
  assert.equal(await q.run(ALICE, T1, () => "room again"), "room again");
});

Deno.test("idle queues are freed once they drain", async () => {
  const { q } = queues();
  assert.equal(q.activeThreads, 0);
  const gate = deferred();
  const a = q.run(ALICE, T1, () => gate.promise);
  const b = q.run(ALICE, T2, () => gate.promise);
  assert.equal(q.activeThreads, 2);
  assert.equal(q.tasksOf(ALICE, T1), 1);
  gate.resolve();
  await Promise.all([a, b]);
  await settle();
  assert.equal(q.activeThreads, 0);
  assert.equal(q.tasksOf(ALICE, T1), 0);
});

Deno.test("a queue freed and reused keeps order for the new tasks", async () => {
  const { q } = queues();
  await q.run(ALICE, T1, () => {});
  await settle();
  const log: number[] = [];
  await Promise.all([1, 2, 3].map((n) => q.run(ALICE, T1, () => void log.push(n))));
  assert.deepEqual(log, [1, 2, 3]);
});

Deno.test("a task queued by a running task of the same thread runs after it", async () => {
  const { q } = queues();
  const log: string[] = [];
  let inner: Promise<void> | undefined;
  await q.run(ALICE, T1, () => {
    inner = q.run(ALICE, T1, () => void log.push("inner"));
    log.push("outer");
  });
  await inner;
  assert.deepEqual(log, ["outer", "inner"]);
});

Deno.test("cancelUser drops the user's waiting tasks, not the running one nor other users'", async () => {
  const { q, errors } = queues();
  const gate = deferred();
  const running = q.run(ALICE, T1, () => gate.promise.then(() => "finished"));
  const waiting = q.run(ALICE, T1, () => "never");
  q.post(ALICE, T2, () => {});
  q.post(ALICE, T2, () => {});
  const bobs = q.run(BOB, T1, () => "bob ok");

  // T2's first posted task already started (it was alone), so only its second one waits.
  assert.equal(q.cancelUser(ALICE, "the user logged out"), 2);
  await assert.rejects(waiting, (error: unknown) => {
    assert.ok(error instanceof ThreadQueueCancelledError);
    assert.equal(error.message, "A queued task was cancelled: the user logged out");
    return true;
  });
  assert.ok(errors.some((e) => e.error instanceof ThreadQueueCancelledError));
  gate.resolve();
  assert.equal(await running, "finished");
  assert.equal(await bobs, "bob ok");
  await settle();
  assert.equal(q.activeThreads, 0);
});

Deno.test("with a timeout, a hung task fails and its successors run", async () => {
  const { q, errors } = queues({ taskTimeoutMs: 1 });
  const never = deferred();
  const hung = q.run(ALICE, T1, () => never.promise);
  const next = q.run(ALICE, T1, () => "next ran");
  q.post(ALICE, T2, () => never.promise);
  await assert.rejects(hung, ThreadTaskTimeoutError);
  assert.equal(await next, "next ran");
  await q.run(ALICE, T2, () => {});
  assert.ok(errors[0].error instanceof ThreadTaskTimeoutError);
  assert.match((errors[0].error as Error).message, /gave up waiting after 1 ms/);
  // A hung task failing later is swallowed, not an unhandled rejection.
  never.reject(new Error("late failure"));
  await settle();
});

Deno.test("an onError callback that throws does not break the queue", async () => {
  const q = new ThreadQueues({
    onError: () => {
      throw new Error("callback broken");
    },
  });
  q.post(ALICE, T1, () => {
    throw new Error("task fails");
  });
  assert.equal(await q.run(ALICE, T1, () => "still works"), "still works");
});

Deno.test("userIdle waits for the user's running tasks only, and gives up after its bound", async () => {
  const queues = new ThreadQueues({ onError: () => {} });
  let finish = () => {};
  queues.post(ALICE, T1, () => new Promise<void>((resolve) => (finish = resolve)));
  queues.post(BOB, T2, () => new Promise<void>(() => {})); // never ends: not Alice's
  assert.equal(await queues.userIdle(ALICE, 30), false, "Alice's task is still running");
  const idle = queues.userIdle(ALICE, 10_000);
  finish();
  assert.equal(await idle, true);
  assert.equal(await queues.userIdle("carol@example.org", 0), true);
});
