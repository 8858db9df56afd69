/**
 * XEP-0050 ad-hoc commands: the gateway's commands (src/gateway/command.ts) as disco nodes and
 * `<command/>` sessions with XEP-0004 forms.
 *
 * A session belongs to the full JID that started it and ends when a result is reached, the user
 * cancels, a step fails, or nothing happens for `sessionTimeoutMs` (then the step's `cancel()` is
 * called). A wrong form (`bad-request`) keeps the session so the user can correct and resubmit.
 * The caller's rights are checked at listing, at start and again at every step.
 *
 * @module
 */

import {
  type Command,
  type CommandCaller,
  type CommandStep,
  type FormStep,
} from "../gateway/command.ts";
import { xmppLog } from "../log.ts";
import { ApplicationStanzaError } from "./application_error.ts";
import { commandsFor, refusal } from "./command_access.ts";
import { CONDITION_OF_KIND, describeCommandFailure } from "./command_failure.ts";
import { NS_DATA_FORMS, parseSubmittedForm, renderForm, renderResult } from "./data_form.ts";
import { ExpiringSessions } from "./expiring_sessions.ts";
import type { Router } from "./router.ts";
import type { DiscoItem, DiscoNodeInfo } from "./service_discovery.ts";
import { StanzaError, type StanzaErrorCondition } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** XEP-0050 ad-hoc commands; also the disco node listing them. */
export const NS_COMMANDS = "http://jabber.org/protocol/commands";

/** What the ad-hoc commands need from the rest of the program. */
export interface AdhocCommandsOptions {
  /** The component's domain (the JID commands are listed under). */
  domain: string;
  /** The commands the gateway offers (asked at each request, so the list may change). */
  commands: () => readonly Command[];
  /** Who the requester is (rights, registration), from their full JID. */
  caller: (fullJid: string) => Promise<CommandCaller> | CommandCaller;
  /** Inactivity after which a session expires (ms); default 10 minutes. */
  sessionTimeoutMs?: number;
}

/** The running ad-hoc commands, with the hooks service discovery needs. */
export interface AdhocCommands {
  /** For `DiscoOptions.nodeInfo`: the command-list node and each command node. */
  nodeInfo(node: string, requester: string): Promise<DiscoNodeInfo | null>;
  /** For `DiscoOptions.nodeItems`: the commands node lists what the requester may run. */
  nodeItems(node: string, requester: string): Promise<DiscoItem[] | null>;
  /** Number of open sessions. */
  readonly openSessions: number;
  /** Cancels every open session and stops their timers (shutdown). */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

type Action = "execute" | "next" | "complete" | "prev" | "cancel";
const ACTIONS = new Set<string>(["execute", "next", "complete", "prev", "cancel"]);

interface Session {
  id: string;
  node: string;
  /** Full JID of the requester who started it. */
  owner: string;
  step: FormStep;
  /** A step is being submitted: concurrent requests are refused. */
  busy: boolean;
}

interface Tombstone {
  owner: string;
  node: string;
}

/**
 * Registers the `<command/>` iq handler (which also advertises the commands feature) and
 * returns the disco hooks to pass to `registerServiceDiscovery` as `nodeInfo` and `nodeItems`.
 */
export function registerAdhocCommands(
  router: Router,
  options: AdhocCommandsOptions,
): AdhocCommands {
  const sessions = new ExpiringSessions<Session, Tombstone>({
    timeoutMs: options.sessionTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    onExpire: (_, session) => {
      xmppLog.debug("Ad-hoc session {id} of {node} for {jid} expired", {
        id: session.id,
        node: session.node,
        jid: session.owner,
      });
      void cancelStep(session);
    },
    tombstone: (session) => ({ owner: session.owner, node: session.node }),
  });

  function findCommand(node: string, caller: CommandCaller): Command {
    const command = options.commands().find((candidate) => candidate.node === node);
    if (!command) throw new StanzaError("item-not-found", `No such command: ${node}`);
    const refused = refusal(command, caller);
    if (refused) throw new StanzaError("forbidden", refused);
    return command;
  }

  /** Replies to a step: completes on a result, opens or updates the session on a form. */
  function answer(node: string, id: string, owner: string, step: CommandStep): Element {
    if (step.kind === "result") {
      sessions.end(id);
      return commandElement(node, id, "completed", renderResult(step));
    }
    const existing = sessions.get(id);
    if (existing) {
      existing.step = step;
      sessions.touch(id);
    } else {
      sessions.open(id, { id, node, owner, step, busy: false });
    }
    const action = step.final ? "complete" : "next";
    return commandElement(
      node,
      id,
      "executing",
      [xml("actions", { execute: action }, xml(action)), renderForm(step)],
    );
  }

  async function start(node: string, owner: string, caller: CommandCaller): Promise<Element> {
    const command = findCommand(node, caller);
    const id = crypto.randomUUID();
    let step: CommandStep;
    try {
      step = await command.start(caller);
    } catch (error) {
      throw asStanzaError(error, node, owner);
    }
    xmppLog.debug("Ad-hoc command {node} started by {jid}", { node, jid: owner });
    return answer(node, id, owner, step);
  }

  async function proceed(
    session: Session,
    action: Action,
    payload: Element,
    caller: CommandCaller,
  ): Promise<Element> {
    const { id, node, owner } = session;
    if (action === "cancel") {
      sessions.end(id);
      await cancelStep(session);
      return commandElement(node, id, "canceled", []);
    }
    if (action === "prev") {
      throw commandsError("bad-request", "bad-action", "This command cannot go back a step");
    }
    sessions.touch(id);
    try {
      findCommand(node, caller);
    } catch (error) {
      sessions.end(id);
      await cancelStep(session);
      throw error;
    }
    let values;
    try {
      values = parseSubmittedForm(payload.getChild("x", NS_DATA_FORMS), session.step.fields);
    } catch (error) {
      if (error instanceof StanzaError) {
        throw commandsError("bad-request", "bad-payload", error.text);
      }
      throw error;
    }
    session.busy = true;
    sessions.hold(id);
    let next: CommandStep;
    try {
      next = await session.step.submit(values);
    } catch (error) {
      const stanzaError = asStanzaError(error, node, owner);
      if (stanzaError.condition === "bad-request") {
        sessions.touch(id); // the user corrects and resubmits the same step
      } else {
        sessions.end(id);
        await cancelStep(session);
      }
      throw stanzaError;
    } finally {
      session.busy = false;
    }
    return answer(node, id, owner, next);
  }

  router.iq("gateway", "set", NS_COMMANDS, "command", async ({ payload, from }) => {
    const node = payload.attrs.node;
    if (!node) throw new StanzaError("bad-request", "The command has no node");
    const action = payload.attrs.action ?? "execute";
    if (!ACTIONS.has(action)) {
      throw commandsError("bad-request", "malformed-action", `Unknown action: ${action}`);
    }
    const sessionId = payload.attrs.sessionid;
    const caller = await options.caller(from.full);
    if (!sessionId) {
      if (action === "cancel") return commandElement(node, undefined, "canceled", []);
      if (action !== "execute") {
        throw commandsError("bad-request", "bad-action", "Start the command before continuing it");
      }
      return await start(node, from.full, caller);
    }
    const session = sessions.get(sessionId);
    if (!session || session.owner !== from.full || session.node !== node) {
      const ended = sessions.tombstone(sessionId);
      if (!session && ended?.owner === from.full && ended.node === node) {
        throw commandsError(
          "not-allowed",
          "session-expired",
          "This command session has ended or expired: run the command again",
        );
      }
      throw commandsError("bad-request", "bad-sessionid", "Unknown command session");
    }
    if (session.busy) {
      throw new StanzaError(
        "unexpected-request",
        "The previous step of this command is still being processed",
      );
    }
    return await proceed(session, action as Action, payload, caller);
  }, NS_COMMANDS);

  return {
    async nodeInfo(node, requester) {
      if (node === NS_COMMANDS) {
        return {
          identities: [{ category: "automation", type: "command-list", name: "Commands" }],
          features: [NS_COMMANDS],
        };
      }
      const caller = await options.caller(requester);
      const command = options.commands().find((candidate) => candidate.node === node);
      if (!command) return null;
      const refused = refusal(command, caller);
      if (refused) throw new StanzaError("forbidden", refused);
      return {
        identities: [{ category: "automation", type: "command-node", name: command.name }],
        features: [NS_COMMANDS, NS_DATA_FORMS],
      };
    },
    async nodeItems(node, requester) {
      if (node !== NS_COMMANDS) return null;
      const caller = await options.caller(requester);
      return commandsFor(options.commands(), caller).map((command) => ({
        jid: options.domain,
        node: command.node,
        name: command.name,
      }));
    },
    get openSessions() {
      return sessions.size;
    },
    async close() {
      await Promise.all(sessions.closeAll().map(cancelStep));
    },
  };
}

function commandElement(
  node: string,
  sessionId: string | undefined,
  status: "executing" | "completed" | "canceled",
  children: Element[],
): Element {
  return xml(
    "command",
    { xmlns: NS_COMMANDS, node, sessionid: sessionId, status },
    ...children,
  );
}

/** A StanzaError with a XEP-0050 specific condition (`<bad-sessionid/>`, …). */
function commandsError(
  condition: StanzaErrorCondition,
  specific: string,
  text?: string,
): StanzaError {
  return new ApplicationStanzaError(condition, { name: specific, xmlns: NS_COMMANDS }, text);
}

function asStanzaError(error: unknown, node: string, jid: string): StanzaError {
  if (error instanceof StanzaError) return error;
  const failure = describeCommandFailure(error, { node, jid });
  return new StanzaError(CONDITION_OF_KIND[failure.kind], failure.sentence);
}

/** Calls the step's cancel(); a failing cancel is logged, never thrown. */
async function cancelStep(session: Session): Promise<void> {
  try {
    await session.step.cancel?.();
  } catch (error) {
    xmppLog.warn("Cancelling step of {node} for {jid} failed: {error}", {
      node: session.node,
      jid: session.owner,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}
