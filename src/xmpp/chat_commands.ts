/**
 * The gateway's commands as a chat with the gateway JID, for clients without ad-hoc command
 * support: `help` lists what the sender may run, a command word starts it, forms are asked one
 * field at a time, `abort` stops, results and errors come back as sentences.
 *
 * The dialogue state belongs to the sender's full JID and expires like an ad-hoc session. A
 * message that arrives after its dialogue expired is not mistaken for a command word (it may be
 * an answer, even a password): the user is told the dialogue expired instead.
 *
 * @module
 */

import {
  type Command,
  type CommandCaller,
  type CommandStep,
  type Field,
  type FieldValue,
  type FormStep,
  type FormValues,
  type ResultStep,
} from "../gateway/command.ts";
import { xmppLog } from "../log.ts";
import { fieldQuestion, readAnswer } from "./chat_fields.ts";
import { commandsFor, refusal } from "./command_access.ts";
import { type CommandFailure, describeCommandFailure } from "./command_failure.ts";
import { ExpiringSessions, type SessionEnd } from "./expiring_sessions.ts";
import { checkFieldValue, FieldValueError, isAnswered } from "./field_values.ts";
import type { Router } from "./router.ts";
import { DEFAULT_MAX_STANZA_BYTES, splitText, textLimitFor } from "./stanza_size.ts";
import { renderTextTable } from "./text_table.ts";
import { type Element, xml } from "./xml.ts";

/** What the chat interface needs from the rest of the program. */
export interface ChatCommandsOptions {
  /** The component's domain: replies come from it. */
  domain: string;
  /** The commands the gateway offers (asked at each message, so the list may change). */
  commands: () => readonly Command[];
  /** Who the sender is (rights, registration), from their full JID. */
  caller: (fullJid: string) => Promise<CommandCaller> | CommandCaller;
  /** Sends a stanza out (the replies). */
  send: (stanza: Element) => Promise<unknown> | unknown;
  /** Inactivity after which a dialogue expires (ms); default 10 minutes. */
  sessionTimeoutMs?: number;
  /** The stanza size cap (bytes): a longer reply is sent as several messages. */
  maxStanzaBytes?: number;
}

/** The running chat interface. */
export interface ChatCommands {
  /** Number of dialogues in progress. */
  readonly openDialogues: number;
  /** Cancels every dialogue and stops their timers (shutdown). */
  close(): Promise<void>;
}

/** The word that lists the commands. */
export const HELP_WORD = "help";
/** The word that stops the command in progress. */
export const ABORT_WORD = "abort";

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

interface Dialogue {
  /** Full JID of the user. */
  owner: string;
  command: Command;
  /** The word the command is known by in chat. */
  word: string;
  step: FormStep;
  /** The fields of the step the user answers, in order. */
  questions: Field[];
  /** Index in `questions` of the field being asked. */
  position: number;
  /** Answers given so far in this step, by field name. */
  answers: FormValues;
}

interface Tombstone {
  word: string;
  end: SessionEnd;
}

/** Registers the handler of chat messages to the gateway JID. */
export function registerChatCommands(router: Router, options: ChatCommandsOptions): ChatCommands {
  const timeoutMs = options.sessionTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const dialogues = new ExpiringSessions<Dialogue, Tombstone>({
    timeoutMs,
    onExpire: (_, dialogue) => {
      xmppLog.debug("Chat command {node} of {jid} expired", {
        node: dialogue.command.node,
        jid: dialogue.owner,
      });
      void cancelStep(dialogue);
    },
    tombstone: (dialogue, end) => ({ word: dialogue.word, end }),
  });
  const queues = new Map<string, Promise<void>>();

  const maxReplyLength = textLimitFor(options.maxStanzaBytes ?? DEFAULT_MAX_STANZA_BYTES);

  async function reply(to: string, text: string): Promise<void> {
    for (const piece of splitText(text, maxReplyLength)) {
      await options.send(
        xml(
          "message",
          { type: "chat", from: options.domain, to, id: crypto.randomUUID() },
          xml("body", {}, piece),
        ),
      );
    }
  }

  function wordOf(command: Command): string {
    return (command.chatName ?? command.node).toLowerCase();
  }

  async function handleText(owner: string, text: string): Promise<void> {
    const caller = await options.caller(owner);
    const dialogue = dialogues.get(owner);
    const firstWord = text.trim().split(/\s+/)[0];
    const word = firstWord.toLowerCase();
    if (dialogue) {
      if (text.trim().toLowerCase() === ABORT_WORD) {
        dialogues.end(owner);
        await cancelStep(dialogue);
        await reply(owner, `Aborted '${dialogue.word}'`);
        return;
      }
      await answer(dialogue, text, caller);
      return;
    }
    const tombstone = dialogues.tombstone(owner);
    dialogues.forgetTombstone(owner);
    if (word === HELP_WORD) {
      await reply(owner, helpText(caller));
      return;
    }
    if (word === ABORT_WORD) {
      await reply(owner, "Nothing to abort: no command is in progress");
      return;
    }
    const command = options.commands().find((candidate) => wordOf(candidate) === word);
    if (!command) {
      if (tombstone?.end === "expired") {
        const minutes = Math.max(1, Math.round(timeoutMs / 60_000));
        await reply(
          owner,
          `Your '${tombstone.word}' command expired after ${minutes} min without an answer, so ` +
            `this message was not used. Send '${tombstone.word}' to start again.`,
        );
      } else {
        await reply(owner, `Unknown command '${shorten(firstWord)}'. Send 'help' for the list.`);
      }
      return;
    }
    const refused = refusal(command, caller);
    if (refused) {
      await reply(owner, refused);
      return;
    }
    let step: CommandStep;
    try {
      step = await command.start(caller);
    } catch (error) {
      await reply(owner, failureText(error, command, owner).sentence);
      return;
    }
    xmppLog.debug("Chat command {node} started by {jid}", { node: command.node, jid: owner });
    // The words after the command word answer its first question: "find Bob".
    const rest = text.trim().slice(firstWord.length).trim();
    await present(
      owner,
      command,
      step,
      undefined,
      rest === "" ? undefined : { text: rest, caller },
    );
  }

  /**
   * Shows a step: a result ends the dialogue, a form (re)starts asking its fields. With
   * `firstAnswer`, that answers the first question at once (the step's intro still shown).
   */
  async function present(
    owner: string,
    command: Command,
    step: CommandStep,
    previous: Dialogue | undefined,
    firstAnswer?: { text: string; caller: CommandCaller },
  ): Promise<void> {
    if (step.kind === "result") {
      dialogues.end(owner);
      await reply(owner, resultText(step));
      return;
    }
    const next: Dialogue = {
      owner,
      command,
      word: previous?.word ?? wordOf(command),
      step,
      questions: step.fields.filter(isAnswered),
      position: 0,
      answers: {},
    };
    skipUnneeded(next);
    dialogues.open(owner, next);
    if (firstAnswer && next.questions[next.position]) {
      await answer(next, firstAnswer.text, firstAnswer.caller, stepIntro(step));
      return;
    }
    await reply(owner, [stepIntro(step), question(next)].join("\n\n"));
  }

  /** Takes `text` as the answer to the current question; `intro` heads a reply that asks more. */
  async function answer(
    dialogue: Dialogue,
    text: string,
    caller: CommandCaller,
    intro?: string,
  ): Promise<void> {
    const { owner } = dialogue;
    const refused = refusal(dialogue.command, caller);
    if (refused) {
      dialogues.end(owner);
      await cancelStep(dialogue);
      await reply(owner, refused);
      return;
    }
    const ask = (text: string) => reply(owner, intro ? `${intro}\n\n${text}` : text);
    dialogues.touch(owner);
    const field = dialogue.questions[dialogue.position];
    if (field) {
      let value: FieldValue | undefined;
      try {
        value = readAnswer(field, text, currentValue(dialogue, field));
      } catch (error) {
        if (!(error instanceof FieldValueError)) throw error;
        await ask(`${error.message}\n\n${question(dialogue)}`);
        return;
      }
      if (value === undefined) delete dialogue.answers[field.name];
      else dialogue.answers[field.name] = value;
      dialogue.position++;
      skipUnneeded(dialogue);
      if (dialogue.position < dialogue.questions.length) {
        await ask(question(dialogue));
        return;
      }
    }
    await submit(dialogue);
  }

  async function submit(dialogue: Dialogue): Promise<void> {
    const { owner, step } = dialogue;
    const values: FormValues = {};
    for (const field of step.fields) {
      const value = field.type === "hidden"
        ? checkFieldValue(field, [])
        : dialogue.answers[field.name];
      if (value !== undefined) values[field.name] = value;
    }
    dialogues.hold(owner);
    let next: CommandStep;
    try {
      next = await step.submit(values);
    } catch (error) {
      const failure = failureText(error, dialogue.command, owner);
      if (failure.kind === "bad_input") {
        dialogue.position = 0;
        skipUnneeded(dialogue);
        dialogues.touch(owner);
        await reply(owner, `${failure.sentence}\n\n${question(dialogue)}`);
      } else {
        dialogues.end(owner);
        await cancelStep(dialogue);
        await reply(owner, failure.sentence);
      }
      return;
    }
    await present(owner, dialogue.command, next, dialogue);
  }

  function helpText(caller: CommandCaller): string {
    const mine = commandsFor(options.commands(), caller);
    if (mine.length === 0) return "There are no commands you can use here.";
    return [
      "Commands you can send:",
      ...mine.map((command) => `${wordOf(command)}: ${command.help}`),
      "",
      `Send a command word to start it, and '${ABORT_WORD}' to stop a command in progress. ` +
      "Your client's command menu (ad-hoc commands) offers the same commands as forms.",
    ].join("\n");
  }

  function failureText(error: unknown, command: Command, owner: string): CommandFailure {
    const failure = describeCommandFailure(error, { node: command.node, jid: owner });
    return failure.kind === "bad_input"
      ? failure
      : { ...failure, sentence: `'${wordOf(command)}' failed: ${failure.sentence}` };
  }

  router.onMessage("gateway", async ({ stanza, from }) => {
    const type = stanza.attrs.type ?? "normal";
    if (type !== "chat" && type !== "normal") return;
    const body = stanza.getChildText("body");
    if (body === null || body.trim() === "") return;
    // One message at a time per user, in order: a dialogue is a sequence.
    const owner = from.full;
    const previous = queues.get(owner) ?? Promise.resolve();
    const current = previous.catch(() => {}).then(() => handleText(owner, body));
    queues.set(owner, current);
    try {
      await current;
    } finally {
      if (queues.get(owner) === current) queues.delete(owner);
    }
  });

  return {
    get openDialogues() {
      return dialogues.size;
    },
    async close() {
      await Promise.all(dialogues.closeAll().map(cancelStep));
    },
  };
}

/**
 * Moves past the questions not needed with the answers given so far (see `Field.neededWhen`):
 * cookies after email and password, a password only wanted to keep it.
 */
function skipUnneeded(dialogue: Dialogue): void {
  const values = (): FormValues => {
    const known: FormValues = {};
    for (const field of dialogue.step.fields) {
      const value = currentValue(dialogue, field);
      if (value !== undefined) known[field.name] = value;
    }
    return known;
  };
  while (dialogue.questions[dialogue.position]?.neededWhen?.(values()) === false) {
    delete dialogue.answers[dialogue.questions[dialogue.position].name];
    dialogue.position++;
  }
}

/** The value shown and kept by 'skip': this step's earlier answer, else the form's value. */
function currentValue(dialogue: Dialogue, field: Field): FieldValue | undefined {
  return field.name in dialogue.answers ? dialogue.answers[field.name] : field.value;
}

function question(dialogue: Dialogue): string {
  const field = dialogue.questions[dialogue.position];
  if (!field) return `Send 'ok' to continue, or '${ABORT_WORD}' to stop.`;
  return fieldQuestion(field, currentValue(dialogue, field), {
    index: dialogue.position,
    count: dialogue.questions.length,
  });
}

/** Title, instructions and the form's fixed texts, shown once when a step begins. */
function stepIntro(step: FormStep): string {
  const fixed = step.fields.filter((field) => field.type === "fixed")
    .map((field) =>
      [field.label, typeof field.value === "string" ? field.value : undefined]
        .filter(Boolean).join(": ")
    );
  return [
    step.title,
    step.instructions,
    ...fixed,
    `(Send '${ABORT_WORD}' at any time to stop.)`,
  ].filter(Boolean).join("\n");
}

function resultText(step: ResultStep): string {
  const parts = [step.note, step.table ? renderTextTable(step.table) : undefined]
    .filter((part): part is string => Boolean(part));
  return parts.length ? parts.join("\n\n") : "Done.";
}

function shorten(text: string): string {
  const chars = [...text];
  return chars.length > 40 ? `${chars.slice(0, 40).join("")}…` : text;
}

async function cancelStep(dialogue: Dialogue): Promise<void> {
  try {
    await dialogue.step.cancel?.();
  } catch (error) {
    xmppLog.warn("Cancelling step of {node} for {jid} failed: {error}", {
      node: dialogue.command.node,
      jid: dialogue.owner,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}
