/**
 * A small client of the simulated network's control API (docs/simulated-network.md), used by the
 * e2e tests and the demo to play the Messenger side: friends write, react, reply; what the gateway
 * did on the account is read back.
 *
 * @module
 */

/** One operation the gateway performed on the account, as the control API lists it. */
export interface Operation {
  method: string;
  thread?: string;
  text?: string;
  replyTo?: string;
  messageId?: string;
  reaction?: string;
  typing?: boolean;
  threads?: string[];
  accept?: boolean;
  /** setGroupAdmin: whose role, and whether they are made an admin. */
  user?: string;
  admin?: boolean;
  /** Why it failed (a MessengerError code); absent when it succeeded. */
  error?: string;
  attachments?: { url: string; filename: string; contentType: string; size: number }[];
}

/** The simulated network's control API (over HTTP), acting on one account. */
export class AccountControl {
  /**
   * `base` is the control API's URL, `account` the Messenger user id acted on (default 100001,
   * the first account of the e2e tests' worlds and of examples/world.toml).
   */
  constructor(readonly base: string, readonly account = "100001") {}

  /** Makes things happen (as a friend, or as the account's owner on another device); returns the events. */
  async inject(events: unknown): Promise<{ id?: string }[]> {
    const response = await fetch(`${this.base}/accounts/${this.account}/events`, {
      method: "POST",
      body: JSON.stringify(events),
    });
    const body = await response.json();
    if (response.status !== 200) {
      throw new Error(
        `The control API refused the events (${response.status}): ${JSON.stringify(body)}`,
      );
    }
    return body.events;
  }

  /** Makes Messenger misbehave (see docs/simulated-network.md). */
  async faults(faults: unknown): Promise<void> {
    const response = await fetch(`${this.base}/accounts/${this.account}/faults`, {
      method: "POST",
      body: JSON.stringify(faults),
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(`The control API refused the faults (${response.status}): ${text}`);
    }
  }

  /** Delivers a message again, as Messenger sometimes does. */
  async redeliver(messageId: string): Promise<void> {
    const response = await fetch(`${this.base}/accounts/${this.account}/redeliver`, {
      method: "POST",
      body: JSON.stringify({ messageId }),
    });
    await response.body?.cancel();
  }

  /** Everything the gateway did on the account so far. */
  async operations(): Promise<Operation[]> {
    const response = await fetch(`${this.base}/accounts/${this.account}/operations`);
    return (await response.json()).operations;
  }

  /** Waits (10 s at most) for an operation matching `predicate`. */
  async waitOperation(what: string, predicate: (op: Operation) => boolean): Promise<Operation> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const found = (await this.operations()).find(predicate);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`No ${what} operation: ${JSON.stringify(await this.operations())}`);
  }
}
