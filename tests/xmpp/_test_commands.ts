/**
 * Commands and callers for the command renderer tests (ad-hoc, chat, e2e): a two-step command,
 * one per access level, and commands that fail in each interesting way. `events` records what
 * the commands saw (submitted values, cancels), so tests can assert on the command side too.
 *
 * @module
 */

import {
  type Command,
  type CommandCaller,
  CommandError,
  type FormStep,
  type FormValues,
} from "../../src/gateway/command.ts";

/** A registered user, an admin, an allowed but unregistered user, a stranger. */
export const ALICE = "alice@example.org";
export const ADMIN = "admin@example.org";
export const BOB = "bob@example.org";
export const EVE = "eve@evil.example";

/** The caller for a full JID, from the four test users above. */
export function testCaller(fullJid: string): CommandCaller {
  const jid = fullJid.split("/")[0].toLowerCase();
  return {
    jid,
    fullJid,
    isAdmin: jid === ADMIN,
    isRegistered: jid === ALICE || jid === ADMIN,
    isAllowed: jid !== EVE,
  };
}

/** The test commands and what they recorded. */
export interface TestCommands {
  commands: Command[];
  /** "submit <step> <json>", "cancel <step>", "start <node>" in order. */
  events: string[];
}

/** A fresh set of test commands (fresh `events`). */
export function testCommands(): TestCommands {
  const events: string[] = [];
  const record = (step: string, values: FormValues) =>
    events.push(`submit ${step} ${JSON.stringify(values)}`);

  const confirmStep = (name: string, colour: string): FormStep => ({
    kind: "form",
    title: "Confirm",
    instructions: `Save the profile of ${name}?`,
    final: true,
    fields: [
      { name: "notify", type: "boolean", label: "Notify me", required: true, value: false },
      {
        name: "password",
        type: "text-private",
        label: "Password",
        description: "To confirm it is you",
      },
    ],
    submit(values) {
      record("confirm", { ...values, password: values.password ? "(given)" : undefined });
      return {
        kind: "result",
        note: `Saved ${name} (${colour})`,
        table: {
          columns: [{ name: "key", label: "Setting" }, { name: "value", label: "Value" }],
          rows: [
            { key: "name", value: name },
            { key: "colour", value: colour },
            { key: "notify", value: values.notify ? "yes" : "no" },
          ],
        },
      };
    },
    cancel: () => void events.push("cancel confirm"),
  });

  const profile: Command = {
    node: "profile",
    name: "Edit profile",
    help: "Change your name and colour",
    access: "registered",
    start() {
      events.push("start profile");
      return {
        kind: "form",
        title: "Profile",
        instructions: "Who are you?",
        fields: [
          { name: "intro", type: "fixed", value: "Two short questions" },
          { name: "name", type: "text-single", label: "Name", required: true },
          {
            name: "colour",
            type: "list-single",
            label: "Colour",
            description: "Your favourite",
            value: "red",
            options: [
              { value: "red", label: "Red" },
              { value: "green", label: "Green" },
              { value: "blue", label: "Blue" },
            ],
          },
          { name: "token", type: "hidden", value: "t-1" },
        ],
        submit(values) {
          record("profile", values);
          const name = String(values.name);
          if (name === "bad") throw new CommandError("bad_input", `Name: '${name}' is taken`);
          if (name === "nobody") throw new CommandError("not_found", "No such person");
          return confirmStep(name, String(values.colour ?? "none"));
        },
        cancel: () => void events.push("cancel profile"),
      };
    },
  };

  const users: Command = {
    node: "list-users",
    name: "List users",
    chatName: "users",
    help: "List the registered users",
    access: "admin",
    start: () => ({
      kind: "result",
      table: {
        columns: [{ name: "jid", label: "JID" }, { name: "since", label: "Since" }],
        rows: [{ jid: ALICE, since: "2024" }, { jid: ADMIN, since: "2023" }],
      },
    }),
  };

  const register: Command = {
    node: "jabber:iq:register",
    name: "Register",
    chatName: "register",
    help: "Register with the gateway",
    access: "unregistered",
    start: () => ({
      kind: "form",
      title: "Register",
      final: true,
      fields: [{ name: "friend", type: "jid-single", label: "Friend", required: true }],
      submit: (values) => ({ kind: "result", note: `Registered with ${values.friend}` }),
    }),
  };

  const info: Command = {
    node: "info",
    name: "About the gateway",
    help: "Show what this gateway is",
    access: "anyone",
    start: () => ({ kind: "result", note: "A test gateway" }),
  };

  const down: Command = {
    node: "down",
    name: "Down",
    help: "Always unavailable",
    access: "anyone",
    start() {
      throw new CommandError("unavailable", "Messenger cannot be reached for now");
    },
  };

  const boom: Command = {
    node: "boom",
    name: "Boom",
    help: "Always crashes",
    access: "anyone",
    start() {
      throw new Error("database password=hunter2 exploded");
    },
  };

  return { commands: [profile, users, register, info, down, boom], events };
}
