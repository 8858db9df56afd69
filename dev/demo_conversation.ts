/**
 * The demo's scripted XMPP client: it registers `demo@localhost` with the gateway (in-band
 * registration with the demo world's cookies, as any client could) and plays a short conversation
 * with the Messenger side, printed as a transcript. Everything it shows really went through
 * Prosody and the gateway; the Messenger side is played through the simulated network's control
 * API.
 *
 * The conversation is {@link DEMO_STEPS}, a list: a new feature adds its step at the end.
 *
 * @module
 */

import type { ProsodyServer } from "./prosody.ts";
import type { AccountControl } from "./simulated_control.ts";
import { connectClient, type TestClient, xml, type XmlElement } from "./xmpp_client.ts";

const NS_REGISTER = "jabber:iq:register";
const NS_ROSTER = "jabber:iq:roster";
const NS_REACTIONS = "urn:xmpp:reactions:0";
const NS_REPLY = "urn:xmpp:reply:0";
const NS_OOB = "jabber:x:oob";

/** How long one expected stanza may take before the demo gives up (a noisy, busy machine). */
const WAIT_MS = 20_000;

/** The demo world's account (examples/world.toml) and its friends. */
export const DEMO_ACCOUNT = {
  id: "100001",
  name: "Alice Example",
  cookies: "c_user=100001; xs=abc",
  echo: "200001",
  bob: "200002",
};

/** What a step works with. */
export interface DemoContext {
  /** The scripted client, logged in as the demo account, registered with the gateway. */
  client: TestClient;
  /** The gateway's domain, e.g. `facebook.localhost`. */
  gateway: string;
  /** The Messenger side: friends write, react and reply through it. */
  control: AccountControl;
  /** A contact's JID, from its Messenger id. */
  jid(id: string): string;
  /** A JID's name as the user's roster shows it (the gateway put it there). */
  name(jid: string): string;
  /** Prints one line of the transcript. */
  say(line: string): void;
  /** The echo friend's last answer, set by the message step (the reaction step reacts to it). */
  echoed?: { id: string; text: string };
}

/** One part of the scripted conversation. */
export interface DemoStep {
  /** What it shows, for error messages ("the reaction"). */
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

/** The demo's client after registration: run steps with {@link play}, then close it. */
export interface DemoClient extends AsyncDisposable {
  readonly client: TestClient;
  /** The name Messenger knows the user by ("Alice Example"). */
  readonly messengerName: string;
  /** Runs the steps in order, printing the transcript with `say`. */
  play(
    steps: readonly DemoStep[],
    control: AccountControl,
    say: (line: string) => void,
  ): Promise<void>;
}

/**
 * Logs `user` in, registers with the gateway with the demo account's cookies and waits until the
 * gateway says it is connected to Messenger.
 */
export async function registerDemoClient(
  server: ProsodyServer,
  user: string,
  password: string,
): Promise<DemoClient> {
  const client = await connectClient(server, user, password, { resource: "demo-script" });
  try {
    const gateway = server.componentDomain;
    // Fetched first so that the server sends this client the gateway's roster pushes (the
    // contacts' names) too.
    await client.iq(xml("iq", { type: "get" }, xml("query", { xmlns: NS_ROSTER })), WAIT_MS);
    const reply = await client.iq(
      xml(
        "iq",
        { type: "set", to: gateway },
        xml(
          "query",
          { xmlns: NS_REGISTER },
          xml(
            "x",
            { xmlns: "jabber:x:data", type: "submit" },
            xml("field", { var: "FORM_TYPE" }, xml("value", {}, NS_REGISTER)),
            xml("field", { var: "cookies" }, xml("value", {}, DEMO_ACCOUNT.cookies)),
          ),
        ),
      ),
      WAIT_MS,
    );
    if (reply.attrs.type !== "result") {
      throw new Error(`The gateway refused the registration: ${reply.toString()}`);
    }
    const status = await client.waitFor(
      (s) =>
        s.is("presence") && s.attrs.from === gateway &&
        /^Connected as /.test(s.getChildText("status") ?? ""),
      WAIT_MS,
      "the gateway's 'Connected as …' presence",
    );
    const messengerName = (status.getChildText("status") ?? "").replace(/^Connected as /, "");
    // The contacts follow the login; with the roster privilege they come as a roster push.
    const names = await client.waitFor(
      (s) => rosterItems(s).some((item) => item.attrs.jid?.endsWith(`@${gateway}`)),
      WAIT_MS,
      "the contacts in the roster",
    ).then(rosterNames, () => new Map<string, string>()); // no privilege: no push, no names
    return {
      client,
      messengerName,
      play: (steps, control, say) => play({ client, gateway, names, steps, control, say }),
      [Symbol.asyncDispose]: () => client.close(),
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}

async function play(o: {
  client: TestClient;
  gateway: string;
  names: Map<string, string>;
  steps: readonly DemoStep[];
  control: AccountControl;
  say: (line: string) => void;
}): Promise<void> {
  const { client, gateway, names, steps, control, say } = o;
  const ctx: DemoContext = {
    client,
    gateway,
    control,
    jid: (id) => `${id}@${gateway}`,
    name(jid) {
      // Each contact came in its own push: read the ones that arrived since.
      for (const stanza of client.pending()) {
        for (const [key, value] of rosterNames(stanza)) names.set(key, value);
      }
      return names.get(jid) ?? jid;
    },
    say,
  };
  for (const step of steps) {
    try {
      await step.run(ctx);
    } catch (error) {
      throw new Error(`The demo's ${step.title} failed: ${(error as Error).message}`);
    }
  }
}

/** The items of a roster push or roster result; none for any other stanza. */
function rosterItems(stanza: XmlElement): XmlElement[] {
  const query = stanza.is("iq") ? stanza.getChild("query", NS_ROSTER) : undefined;
  return query?.getChildren("item") ?? [];
}

/** Contact names a roster push gave, by JID (the gateway put them there with XEP-0356). */
function rosterNames(stanza: XmlElement): Map<string, string> {
  const names = new Map<string, string>();
  for (const item of rosterItems(stanza)) {
    if (item.attrs.jid && item.attrs.name) names.set(item.attrs.jid, item.attrs.name);
  }
  return names;
}

/** A chat message from `jid` (any resource) that also satisfies `predicate`. */
function messageFrom(jid: string, predicate: (s: XmlElement) => boolean) {
  return (s: XmlElement) =>
    s.is("message") && s.attrs.type !== "error" && s.attrs.from?.split("/")[0] === jid &&
    predicate(s);
}

/** The text of a message without its reply quote (XEP-0461 fallback lines start with "> "). */
function withoutQuote(body: string): string {
  return body.split("\n").filter((line) => !line.startsWith(">")).join("\n").trim();
}

function chat(to: string, id: string, body: string, ...extra: XmlElement[]): XmlElement {
  return xml("message", { type: "chat", to, id }, xml("body", {}, body), ...extra);
}

/** A 48×32 picture of a mountain, to send as a photo. */
const TRAIL_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAIAAADbtmxLAAAAkUlEQVR42u3QoQ2AMBBA0T8YmpmqMRgGYxwMBoVogqKl5" +
  "Y5rSS75A7x85nXrKhzkIAcl2vfDQVlNrAtQpIQwqZjQenOBhCa0NDG5CUWNigldjdz0BnSLSPU5qErzwsTXmloTBpoq029BQk" +
  "25CTNNoQlLTYkJY82jCXtN3kQTTcZEK03KREPNrYlxGbrKQQ6SdgKqHlm1btKnTQAAAABJRU5ErkJggg==";

/** You write to the echo friend; it answers with the same text. */
const message: DemoStep = {
  title: "message to the echo friend",
  async run(ctx) {
    const echo = ctx.jid(DEMO_ACCOUNT.echo);
    const text = "Hi Echo Bot! Greetings from XMPP.";
    await ctx.client.send(chat(echo, "demo-1", text));
    ctx.say(`you → ${ctx.name(echo)}: ${text}`);
    const answer = await ctx.client.waitFor(
      messageFrom(echo, (s) => s.getChildText("body") === text),
      WAIT_MS,
      `${ctx.name(echo)}'s answer`,
    );
    ctx.say(`${ctx.name(echo)} → you: ${answer.getChildText("body")}`);
    ctx.echoed = { id: answer.attrs.id ?? "", text };
  },
};

/** You react to the echo friend's answer; it mirrors the reaction. */
const reaction: DemoStep = {
  title: "reaction",
  async run(ctx) {
    const echo = ctx.jid(DEMO_ACCOUNT.echo);
    const echoed = ctx.echoed;
    if (!echoed?.id) throw new Error("no message of the echo friend to react to");
    await ctx.client.send(
      xml(
        "message",
        { type: "chat", to: echo, id: "demo-2" },
        xml("reactions", { xmlns: NS_REACTIONS, id: echoed.id }, xml("reaction", {}, "👍")),
      ),
    );
    ctx.say(`you react 👍 to “${echoed.text}”`);
    const mirrored = await ctx.client.waitFor(
      messageFrom(echo, (s) => s.getChild("reactions", NS_REACTIONS)?.attrs.id === echoed.id),
      WAIT_MS,
      `${ctx.name(echo)}'s reaction`,
    );
    const emoji = mirrored.getChild("reactions", NS_REACTIONS)!.getChildren("reaction")
      .map((r) => r.getText()).join(" ");
    ctx.say(`${ctx.name(echo)} reacts ${emoji} to it too`);
  },
};

/** You ask a friend something; the friend answers with a Messenger reply to your message. */
const reply: DemoStep = {
  title: "reply",
  async run(ctx) {
    const bob = ctx.jid(DEMO_ACCOUNT.bob);
    const question = "Hiking on Saturday?";
    await ctx.client.send(chat(bob, "demo-3", question));
    ctx.say(`you → ${ctx.name(bob)}: ${question}`);
    const sent = await ctx.control.waitOperation(
      "sendMessage",
      (op) => op.method === "sendMessage" && op.text === question,
    );
    await ctx.control.inject({
      type: "message",
      sender: DEMO_ACCOUNT.bob,
      text: "Sure, I'll bring the map!",
      replyTo: sent.messageId,
    });
    const answer = await ctx.client.waitFor(
      messageFrom(bob, (s) => s.getChild("reply", NS_REPLY)?.attrs.id === "demo-3"),
      WAIT_MS,
      `${ctx.name(bob)}'s reply`,
    );
    const text = withoutQuote(answer.getChildText("body") ?? "");
    ctx.say(`${ctx.name(bob)} → you, replying to “${question}”: ${text}`);
  },
};

/** A friend sends a photo; it arrives as a link the client can show. */
const photo: DemoStep = {
  title: "photo",
  async run(ctx) {
    const bob = ctx.jid(DEMO_ACCOUNT.bob);
    const [event] = await ctx.control.inject({
      type: "message",
      sender: DEMO_ACCOUNT.bob,
      attachments: [{ data: TRAIL_PNG, filename: "trail.png", contentType: "image/png" }],
    });
    const received = await ctx.client.waitFor(
      messageFrom(bob, (s) => s.attrs.id === event.id && s.getChild("x", NS_OOB) !== undefined),
      WAIT_MS,
      `${ctx.name(bob)}'s photo`,
    );
    const url = received.getChild("x", NS_OOB)?.getChildText("url") ?? "";
    ctx.say(`${ctx.name(bob)} → you: a photo, ${url}`);
  },
};

/**
 * The demo account's Messenger group is a room: you join it, Bob writes in it, you answer, and
 * the echo friend (a member too) answers in the group.
 */
const group: DemoStep = {
  title: "group chat",
  async run(ctx) {
    const room = ctx.jid(DEMO_GROUP);
    const id = `demo-join-${crypto.randomUUID()}`;
    await ctx.client.send(
      xml("presence", { to: `${room}/demo`, id }, xml("x", { xmlns: NS_MUC })),
    );
    const subject = await ctx.client.waitFor(
      (s) => s.is("message") && s.attrs.from?.split("/")[0] === room && !!s.getChild("subject"),
      WAIT_MS,
      "the group's subject (the end of the join)",
    );
    const name = subject.getChildText("subject") || room;
    ctx.say(`you join the group chat “${name}” (${room})`);
    await ctx.control.inject({
      type: "message",
      sender: DEMO_ACCOUNT.bob,
      thread: DEMO_GROUP,
      text: "Who brings the sandwiches?",
    });
    const question = await ctx.client.waitFor(
      (s) =>
        s.is("message") && s.attrs.type === "groupchat" &&
        s.getChildText("body") === "Who brings the sandwiches?",
      WAIT_MS,
      "Bob's message in the group",
    );
    ctx.say(`${question.attrs.from?.split("/")[1]} in “${name}”: Who brings the sandwiches?`);
    const answer = "I do!";
    await ctx.client.send(
      xml("message", { type: "groupchat", to: room, id: "demo-group-1" }, xml("body", {}, answer)),
    );
    ctx.say(`you in “${name}”: ${answer}`);
    const echo = await ctx.client.waitFor(
      (s) =>
        s.is("message") && s.attrs.type === "groupchat" &&
        s.attrs.from === `${room}/${ctx.name(ctx.jid(DEMO_ACCOUNT.echo))}` &&
        s.getChildText("body") === answer,
      WAIT_MS,
      "the echo friend's answer in the group",
    );
    ctx.say(`${echo.attrs.from?.split("/")[1]} in “${name}”: ${echo.getChildText("body")}`);
  },
};

/** The demo world's group (examples/world.toml): Alice, Echo Bot and Bob. */
const DEMO_GROUP = "900001";
const NS_MUC = "http://jabber.org/protocol/muc";

/** The scripted conversation, in order. */
export const DEMO_STEPS: readonly DemoStep[] = [message, reaction, reply, photo, group];
