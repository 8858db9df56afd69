import assert from "node:assert/strict";
import {
  ConversationQueue,
  QueueCancelledError,
  QueueFullError,
  TaskTimeoutError,
} from "../../src/gateway/conversation_queue.ts";

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

function queue(
  options: { limits?: { to_messenger?: number; to_xmpp?: number }; taskTimeoutMs?: number } = {},
) {
  const errors: unknown[] = [];
  const q = new ConversationQueue({ onError: (error) => errors.push(error), ...options });
  return { q, errors };
}

Deno.test("tasks of one conversation run strictly in order, one at a time, both directions", async () => {
  const { q } = queue();
  const log: string[] = [];
  const gates = [deferred(), deferred(), deferred()];
  const done = gates.map((gate, i) =>
    q.run(i === 1 ? "to_xmpp" : "to_messenger", async () => {
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

Deno.test("run resolves with the task's value and rejects with its error", async () => {
  const { q, errors } = queue();
  assert.equal(await q.run("to_xmpp", () => 42), 42);
  assert.equal(await q.run("to_xmpp", () => Promise.resolve("async")), "async");
  await assert.rejects(
    q.run("to_xmpp", () => {
      throw new Error("sync boom");
    }),
    /sync boom/,
  );
  await assert.rejects(q.run("to_xmpp", () => Promise.reject(new Error("async boom"))), /async/);
  assert.equal(errors.length, 0, "run's caller owns its errors");
});

Deno.test("a throwing posted task is reported and the next task still runs", async () => {
  const { q, errors } = queue();
  const ran: number[] = [];
  q.post("to_xmpp", () => {
    throw new Error("first fails");
  });
  q.post("to_xmpp", () => Promise.reject(new Error("second fails")));
  q.post("to_xmpp", () => void ran.push(3));
  await q.run("to_xmpp", () => {});
  assert.deepEqual(ran, [3]);
  assert.deepEqual(errors.map((e) => (e as Error).message), ["first fails", "second fails"]);
});

Deno.test("a full direction refuses new work with a clear error; the other direction still queues", async () => {
  const { q, errors } = queue({ limits: { to_messenger: 2 } });
  const gate = deferred();
  const first = q.run("to_messenger", () => gate.promise);
  const second = q.run("to_messenger", () => "second");
  const third = q.run("to_messenger", () => "third");
  await assert.rejects(third, (error: unknown) => {
    assert.ok(error instanceof QueueFullError);
    assert.equal(
      error.message,
      "Too much is waiting in this conversation: 2 tasks are queued already",
    );
    assert.equal(error.direction, "to_messenger");
    return true;
  });
  assert.equal(q.post("to_messenger", () => {}), false);
  assert.ok(errors[0] instanceof QueueFullError);
  // A friend's message is never refused because the user's own messages filled their allowance.
  const incoming = q.run("to_xmpp", () => "incoming");
  assert.equal(q.held("to_messenger"), 2);
  gate.resolve();
  await first;
  assert.equal(await second, "second");
  assert.equal(await incoming, "incoming");
  assert.equal(await q.run("to_messenger", () => "room again"), "room again");
});

Deno.test("a task queued by a running task of the same conversation runs after it", async () => {
  const { q } = queue();
  const log: string[] = [];
  let inner: Promise<void> | undefined;
  await q.run("to_xmpp", () => {
    inner = q.run("to_xmpp", () => void log.push("inner"));
    log.push("outer");
  });
  await inner;
  assert.deepEqual(log, ["outer", "inner"]);
});

Deno.test("cancel drops the waiting tasks, not the running one", async () => {
  const { q, errors } = queue();
  const gate = deferred();
  const running = q.run("to_xmpp", () => gate.promise.then(() => "finished"));
  const waiting = q.run("to_messenger", () => "never");
  q.post("to_xmpp", () => {});
  assert.equal(q.cancel("the user unregistered"), 2);
  await assert.rejects(waiting, (error: unknown) => {
    assert.ok(error instanceof QueueCancelledError);
    assert.equal(error.message, "A queued task was cancelled: the user unregistered");
    return true;
  });
  assert.ok(errors.some((e) => e instanceof QueueCancelledError));
  assert.equal(q.held("to_messenger"), 0);
  gate.resolve();
  assert.equal(await running, "finished");
  await settle();
  assert.ok(q.idleNow);
});

Deno.test("with a timeout, a hung task fails and its successors run", async () => {
  const { q, errors } = queue({ taskTimeoutMs: 1 });
  const never = deferred();
  const hung = q.run("to_xmpp", () => never.promise);
  const next = q.run("to_xmpp", () => "next ran");
  q.post("to_xmpp", () => never.promise);
  await assert.rejects(hung, TaskTimeoutError);
  assert.equal(await next, "next ran");
  await q.run("to_xmpp", () => {});
  assert.ok(errors[0] instanceof TaskTimeoutError);
  assert.match((errors[0] as Error).message, /gave up waiting after 1 ms/);
  // A hung task failing later is swallowed, not an unhandled rejection.
  never.reject(new Error("late failure"));
  await settle();
});

Deno.test("an onError callback that throws does not break the queue", async () => {
  const q = new ConversationQueue({
    onError: () => {
      throw new Error("callback broken");
    },
  });
  q.post("to_xmpp", () => {
    throw new Error("task fails");
  });
  assert.equal(await q.run("to_xmpp", () => "still works"), "still works");
});

Deno.test("idle waits for the running task, and gives up after its bound", async () => {
  const { q } = queue();
  assert.equal(await q.idle(0), true, "nothing to wait for");
  let finish = () => {};
  q.post("to_xmpp", () => new Promise<void>((resolve) => (finish = resolve)));
  assert.equal(await q.idle(30), false, "the task is still running");
  const idle = q.idle(10_000);
  finish();
  assert.equal(await idle, true);
});
