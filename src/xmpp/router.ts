/**
 * Dispatches incoming stanzas to handlers, with one error policy for the whole component.
 *
 * Every iq get/set gets exactly one reply: a handler's payload, the {@link StanzaError} it threw,
 * `internal-server-error` when it threw anything else (logged with context; the user only sees a
 * generic sentence), `service-unavailable` when nobody handles it, `bad-request` when malformed.
 * Stanzas to a contact JID from someone who is not registered get `registration-required`.
 * Nothing a single stanza does can reject out of {@link Router.handle}.
 *
 * @module
 */

import { xmppLog } from "../log.ts";
import { type Jid, parseJid } from "./jid.ts";
import { errorReply, StanzaError } from "./stanza_error.ts";
import { fitsIn, utf8Length } from "./stanza_size.ts";
import { type Element, xml } from "./xml.ts";

/**
 * Whom a stanza is addressed to: the gateway itself, a contact, or a room (a Messenger group).
 * Contacts and rooms share the JID shape `<digits>@<component>`: which one it is, for the sender,
 * is asked of {@link RouterOptions.classify}.
 */
export type Target = "gateway" | "contact" | "room";

/** What an iq handler receives. */
export interface IqRequest {
  stanza: Element;
  type: "get" | "set";
  from: Jid;
  to: Jid;
  /** The single child element of the iq. */
  payload: Element;
  /**
   * Queues stanzas that go out right before a successful answer, in the same write (a page of
   * archived messages before the query's end): a burst of separate writes is held back by the
   * socket while the first is unacknowledged. Dropped when the handler fails.
   */
  precede(stanzas: readonly Element[]): void;
}

/** Returns the result payload (or nothing for an empty result), or throws a StanzaError. */
export type IqHandler = (request: IqRequest) => Promise<Element | void> | Element | void;

/** What a message or presence handler receives. */
export interface StanzaRequest {
  stanza: Element;
  from: Jid;
  to: Jid;
}

/** Handles a message or presence; may throw a StanzaError to bounce a message. */
export type StanzaHandler = (request: StanzaRequest) => Promise<void> | void;

/** What the router needs from the rest of the program. */
export interface RouterOptions {
  /** The component's domain. */
  domain: string;
  /** Sends a stanza out. */
  send: (stanza: Element) => Promise<unknown> | unknown;
  /** Sends stanzas in order, in one write where it can; default: one by one through `send`. */
  sendAll?: (stanzas: readonly Element[]) => Promise<unknown> | unknown;
  /** True when the bare JID has registered with the gateway. */
  isRegistered: (bareJid: string) => Promise<boolean> | boolean;
  /**
   * Whether a JID under the domain is a room or a contact for a registered sender; default:
   * always a contact. Asked before any handler acts on the stanza.
   */
  classify?: (from: Jid, to: Jid) => Promise<"contact" | "room"> | "contact" | "room";
  /** Timeout of outgoing iqs (ms). */
  iqTimeoutMs?: number;
  /**
   * The largest stanza the connection writes (bytes): a larger answer is replaced by a
   * `resource-constraint` error, so the iq still gets its one reply. Default: no check.
   */
  maxStanzaBytes?: number;
}

interface IqRoute {
  target: Target;
  type: "get" | "set";
  ns: string;
  name: string;
  handler: IqHandler;
}

/** A stanza as the router classified it: whom it is for, and whether the sender is registered. */
interface Routed {
  stanza: Element;
  from: Jid;
  to: Jid;
  target: Target;
  registered: boolean;
}

const GENERIC_FAILURE = "The gateway could not handle this request; the error was logged " +
  "for the administrator";

/** The component's single entry point for incoming stanzas. */
export class Router {
  #options: RouterOptions;
  #iqRoutes: IqRoute[] = [];
  #messageHandlers = new Map<Target, StanzaHandler>();
  #presenceHandlers = new Map<Target, StanzaHandler>();
  #serverMessageHandler: StanzaHandler | undefined;
  #features = new Map<Target, Set<string>>([
    ["gateway", new Set()],
    ["contact", new Set()],
    ["room", new Set()],
  ]);
  #pending = new Map<
    string,
    {
      resolve: (el: Element) => void;
      reject: (error: Error) => void;
      timer: ReturnType<typeof setTimeout>;
      /** Who must answer (the iq's `to`); null: the gateway's own server. */
      responder: string | null;
    }
  >();

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  /**
   * Registers an iq handler for a payload element; `feature` (default: the namespace) is what
   * disco#info then advertises, so only implemented features are ever announced.
   */
  iq(
    target: Target,
    type: "get" | "set",
    ns: string,
    name: string,
    handler: IqHandler,
    feature: string | null = ns,
  ): void {
    this.#iqRoutes.push({ target, type, ns, name, handler });
    if (feature) this.#features.get(target)!.add(feature);
  }

  /** Advertises a feature that is implemented without an iq handler of its own. */
  feature(target: Target, feature: string): void {
    this.#features.get(target)!.add(feature);
  }

  /** The features to advertise in disco#info for a target, sorted. */
  features(target: Target): string[] {
    return [...this.#features.get(target)!].sort();
  }

  /** Sets the handler of messages to a target. */
  onMessage(target: Target, handler: StanzaHandler): void {
    this.#messageHandlers.set(target, handler);
  }

  /**
   * Sets the handler of messages to the gateway JID from a server itself (an address without
   * local part or resource, e.g. XEP-0356 privilege grants). They are never a user's chat, so
   * they bypass the gateway's message handler (the chat commands), which must not answer them.
   */
  onServerMessage(handler: StanzaHandler): void {
    this.#serverMessageHandler = handler;
  }

  /** Sets the handler of presences to a target. */
  onPresence(target: Target, handler: StanzaHandler): void {
    this.#presenceHandlers.set(target, handler);
  }

  /**
   * Sends an iq and resolves with the reply (result or error stanza); rejects on timeout. Only
   * a reply from the addressee counts: ids are random and a reply from anyone else is ignored,
   * so nobody can answer the gateway's requests (an upload slot, a roster) in its place.
   */
  call(iq: Element): Promise<Element> {
    const id = iq.attrs.id ?? `mg-${crypto.randomUUID()}`;
    iq.attrs.id = id;
    iq.attrs.from ??= this.#options.domain;
    const responder = parseJid(iq.attrs.to)?.full ?? null;
    const timeoutMs = this.#options.iqTimeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`No reply to iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer, responder });
      Promise.resolve(this.#options.send(iq)).catch((error) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(error);
      });
    });
  }

  /** Handles one incoming stanza. Never rejects. */
  async handle(stanza: Element): Promise<void> {
    try {
      await this.#dispatch(stanza);
    } catch (error) {
      // Only reached if building or sending a reply failed: log, never crash.
      logFailure(stanza, error);
    }
  }

  async #dispatch(stanza: Element): Promise<void> {
    const type = stanza.attrs.type;
    if (stanza.name === "iq" && (type === "result" || type === "error")) {
      this.#settle(stanza);
      return;
    }
    if (type === "error") return; // never answer an error with an error
    const from = parseJid(stanza.attrs.from);
    const to = parseJid(stanza.attrs.to);
    if (!from || !to) {
      if (stanza.name !== "presence" && stanza.attrs.from) {
        await this.#reply(stanza, new StanzaError("jid-malformed", "Malformed address"));
      }
      return;
    }
    if (to.domain !== this.#options.domain) return;
    let target: Target = "gateway";
    let registered = false;
    if (to.local) {
      // An unregistered sender is answered by the contact rules (registration-required). Both
      // questions are usually answered from memory: no await then, on every stanza.
      const known = this.#options.isRegistered(from.bare);
      registered = typeof known === "boolean" ? known : await known;
      const classify = this.#options.classify;
      const kind = registered && classify ? classify(from, to) : "contact";
      target = typeof kind === "string" ? kind : await kind;
    }

    const routed: Routed = { stanza, from, to, target, registered };
    if (stanza.name === "iq") await this.#handleIq(routed);
    else if (stanza.name === "message") await this.#handleMessage(routed);
    else if (stanza.name === "presence") await this.#handlePresence(routed);
  }

  async #handleIq({ stanza, from, to, target, registered }: Routed): Promise<void> {
    const type = stanza.attrs.type;
    const children = stanza.getChildElements();
    if ((type !== "get" && type !== "set") || children.length !== 1 || !stanza.attrs.id) {
      await this.#reply(
        stanza,
        new StanzaError("bad-request", "An iq must be get or set, with an id and one child"),
      );
      return;
    }
    if (target !== "gateway" && !registered) {
      await this.#reply(stanza, registrationRequired());
      return;
    }
    const payload = children[0];
    const route = this.#iqRoutes.find((r) =>
      r.target === target && r.type === type && payload.is(r.name, r.ns)
    );
    if (!route) {
      await this.#reply(stanza, new StanzaError("service-unavailable"));
      return;
    }
    let result: Element | void;
    const preceding: Element[] = [];
    const precede = (stanzas: readonly Element[]) => void preceding.push(...stanzas);
    try {
      result = await route.handler({ stanza, type, from, to, payload, precede });
    } catch (error) {
      await this.#reply(stanza, asStanzaError(stanza, error));
      return;
    }
    const reply = xml("iq", {
      type: "result",
      from: stanza.attrs.to,
      to: stanza.attrs.from,
      id: stanza.attrs.id,
    }, result ?? null);
    const max = this.#options.maxStanzaBytes;
    if (max !== undefined && result) {
      const text = reply.toString();
      if (!fitsIn(text, max)) {
        const size = utf8Length(text);
        xmppLog.warn("The answer to {ns} from {from} is too large to send ({size} bytes)", {
          ns: payload.attrs.xmlns ?? "",
          from: stanza.attrs.from ?? "",
          size,
        });
        await this.#reply(
          stanza,
          new StanzaError(
            "resource-constraint",
            `The answer is too large for the XMPP server (${kib(size)} KiB, at most ${
              kib(max)
            } KiB)`,
            "cancel",
          ),
        );
        return;
      }
    }
    if (preceding.length === 0) await this.#options.send(reply);
    else await this.#sendAll([...preceding, reply]);
  }

  async #sendAll(stanzas: readonly Element[]): Promise<void> {
    if (this.#options.sendAll) {
      await this.#options.sendAll(stanzas);
      return;
    }
    for (const stanza of stanzas) await this.#options.send(stanza);
  }

  async #handleMessage({ stanza, from, to, target, registered }: Routed): Promise<void> {
    if (target !== "gateway" && !registered) {
      await this.#reply(stanza, registrationRequired());
      return;
    }
    const serverHandler = this.#serverMessageHandler;
    if (
      serverHandler && target === "gateway" && !from.local && !from.resource &&
      from.domain !== this.#options.domain
    ) {
      try {
        await serverHandler({ stanza, from, to });
      } catch (error) {
        logFailure(stanza, error);
      }
      return;
    }
    const handler = this.#messageHandlers.get(target);
    if (!handler) {
      if (stanza.getChild("body")) {
        await this.#reply(stanza, new StanzaError("service-unavailable"));
      }
      return;
    }
    try {
      await handler({ stanza, from, to });
    } catch (error) {
      await this.#reply(stanza, asStanzaError(stanza, error));
    }
  }

  async #handlePresence({ stanza, from, to, target, registered }: Routed): Promise<void> {
    const type = stanza.attrs.type;
    if (target !== "gateway" && !registered) {
      if (type === "probe" || type === "subscribe") {
        await this.#reply(stanza, registrationRequired());
      }
      return;
    }
    const handler = this.#presenceHandlers.get(target);
    if (!handler) return;
    try {
      await handler({ stanza, from, to });
    } catch (error) {
      logFailure(stanza, error);
    }
  }

  #settle(stanza: Element): void {
    const id = stanza.attrs.id;
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (!pending) return;
    const from = parseJid(stanza.attrs.from)?.full ?? null;
    if (pending.responder !== null && from !== pending.responder) {
      xmppLog.warn("Ignoring a reply to iq {id} from {from}: it was sent to {to}", {
        id,
        from: stanza.attrs.from ?? "",
        to: pending.responder,
      });
      return;
    }
    clearTimeout(pending.timer);
    this.#pending.delete(id!);
    pending.resolve(stanza);
  }

  async #reply(stanza: Element, error: StanzaError): Promise<void> {
    await this.#options.send(errorReply(stanza, error));
  }

  /** Rejects pending outgoing iqs (on shutdown). */
  close(): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new Error("The gateway is stopping"));
    }
  }
}

function kib(bytes: number): number {
  return Math.ceil(bytes / 1024);
}

function registrationRequired(): StanzaError {
  return new StanzaError(
    "registration-required",
    "You are not registered with this gateway: register first (in your client's service " +
      "discovery, or send 'help' to the gateway)",
  );
}

function asStanzaError(stanza: Element, error: unknown): StanzaError {
  if (error instanceof StanzaError) return error;
  logFailure(stanza, error);
  return new StanzaError("internal-server-error", GENERIC_FAILURE);
}

function logFailure(stanza: Element, error: unknown): void {
  const payload = stanza.getChildElements()[0];
  xmppLog.error("Handling {name} type={type} from {from} to {to} id={id} ns={ns} failed: {error}", {
    name: stanza.name,
    type: stanza.attrs.type ?? "",
    from: stanza.attrs.from ?? "",
    to: stanza.attrs.to ?? "",
    id: stanza.attrs.id ?? "",
    ns: payload?.attrs.xmlns ?? "",
    error: error instanceof Error
      ? `${error.name}: ${error.message}\n${error.stack ?? ""}`
      : String(error),
  });
}
