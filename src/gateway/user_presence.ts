/**
 * Which of a registered user's XMPP resources are online, and what that means for their
 * Messenger session: with `gateway.keep_sessions_when_offline = false` the session ends when
 * the user's last resource goes offline and logs in again when one comes back; otherwise
 * (the default) it stays connected, so nothing is missed and Messenger sees no login churn.
 *
 * "Offline" is only concluded from an explicit unavailable presence; a user whose presence the
 * gateway cannot see (no subscription) is never taken for offline.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";

/** What the policy needs of a user session. */
export interface SuspendableSession {
  readonly suspended: boolean;
  suspend(): Promise<void>;
  resume(): Promise<void>;
}

/** Options of {@link UserPresence}. */
export interface UserPresenceOptions {
  /** Keep the Messenger session while the user has no resource online. */
  keepSessionsWhenOffline: boolean;
  /** The session of a registered user (bare JID). */
  session: (jid: string) => SuspendableSession | undefined;
}

/** Online resources per user, and the offline policy. */
export class UserPresence {
  #options: UserPresenceOptions;
  #resources = new Map<string, Set<string>>();
  /** Per user, the policy action in progress (suspend and resume never overlap). */
  #queues = new Map<string, Promise<void>>();

  constructor(options: UserPresenceOptions) {
    this.#options = options;
  }

  /**
   * A resource of a user is available; true when it was not known online. Logs the user in
   * again if their session was suspended.
   */
  available(jid: string, resource: string): boolean {
    const bare = jid.toLowerCase();
    let resources = this.#resources.get(bare);
    if (!resources) {
      resources = new Set();
      this.#resources.set(bare, resources);
    }
    const isNew = !resources.has(resource);
    resources.add(resource);
    if (!this.#options.keepSessionsWhenOffline) {
      this.#enqueue(bare, async (session) => {
        if (!session.suspended) return;
        gatewayLog.info("{jid} is back online: logging in to Messenger again", { jid: bare });
        await session.resume();
      });
    }
    return isNew;
  }

  /**
   * A resource went unavailable; `resource` empty means the user as a whole (every resource,
   * e.g. the server's answer to a probe). Ends the Messenger session when that was the last one
   * and the policy says so.
   */
  unavailable(jid: string, resource: string): void {
    const bare = jid.toLowerCase();
    const resources = this.#resources.get(bare);
    if (resource === "") resources?.clear();
    else resources?.delete(resource);
    if (resources && resources.size > 0) return;
    this.#resources.delete(bare);
    if (this.#options.keepSessionsWhenOffline) return;
    this.#enqueue(bare, async (session) => {
      if (session.suspended || this.isOnline(bare)) return;
      gatewayLog.info(
        "{jid} has no XMPP client online: ending the Messenger session until they come back " +
          "(gateway.keep_sessions_when_offline is false)",
        { jid: bare },
      );
      await session.suspend();
    });
  }

  /** True when at least one resource of the user is known online. */
  isOnline(jid: string): boolean {
    return (this.#resources.get(jid.toLowerCase())?.size ?? 0) > 0;
  }

  /** The user's resources known online. */
  resources(jid: string): string[] {
    return [...(this.#resources.get(jid.toLowerCase()) ?? [])];
  }

  /** Forgets a user (unregistered). */
  forget(jid: string): void {
    this.#resources.delete(jid.toLowerCase());
  }

  /**
   * Forgets every resource without concluding anything (the XMPP connection dropped: the
   * server will tell again who is online).
   */
  reset(): void {
    this.#resources.clear();
  }

  /** Resolves when the policy actions queued so far are done (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.#queues.values()]);
  }

  #enqueue(jid: string, action: (session: SuspendableSession) => Promise<void>): void {
    const previous = this.#queues.get(jid) ?? Promise.resolve();
    const next = previous.then(async () => {
      const session = this.#options.session(jid);
      if (session) await action(session);
    }).catch((error) => {
      gatewayLog.error("Applying the offline policy to {jid} failed: {error}", { jid, error });
    });
    this.#queues.set(jid, next);
    void next.then(() => {
      if (this.#queues.get(jid) === next) this.#queues.delete(jid);
    });
  }
}
