/**
 * Commands as the gateway defines them, independent of how a client runs them.
 *
 * A command is a small state machine of steps: forms to fill in, then a result. The XMPP side
 * renders the same command as a XEP-0050 ad-hoc command with XEP-0004 forms, or as a chat dialogue
 * with the gateway JID (asking one field at a time), so every command is written once. This module
 * knows nothing about XML.
 *
 * @module
 */

/** The kinds of fields a form can hold (the XEP-0004 field types we use). */
export type FieldType =
  | "text-single"
  | "text-private"
  | "text-multi"
  | "boolean"
  | "list-single"
  | "list-multi"
  | "jid-single"
  | "fixed"
  | "hidden";

/** A submitted value: text, a yes/no, or several choices. */
export type FieldValue = string | boolean | string[];

/** One field of a form. */
export interface Field {
  /** Machine name (`var` in XEP-0004). Unique in its form. */
  name: string;
  type: FieldType;
  label?: string;
  /** A longer hint shown by clients that can. */
  description?: string;
  required?: boolean;
  /** Pre-filled value (the current setting, a default). */
  value?: FieldValue;
  /** Choices for list fields. */
  options?: { value: string; label?: string }[];
  /**
   * When the field matters only given other answers (cookies instead of email and password, a
   * password only to keep it): true when it is needed with the values given so far. A form
   * shows every field anyway; a chat dialogue, which asks one field at a time, skips it.
   */
  neededWhen?(values: FormValues): boolean;
}

/** Submitted values by field name, already checked against the form's fields. */
export type FormValues = Record<string, FieldValue | undefined>;

/** A step asking the user to fill in a form. */
export interface FormStep {
  kind: "form";
  title: string;
  instructions?: string;
  fields: Field[];
  /**
   * True when submitting this form normally ends the command (the next step is a result), so
   * clients can offer "Complete" instead of "Next". Only a hint: any step may still follow.
   */
  final?: boolean;
  /** Called with the checked values; returns the next step. May throw {@link CommandError}. */
  submit(values: FormValues): Promise<CommandStep> | CommandStep;
  /** Called when the user cancels at this step or the session expires. */
  cancel?(): Promise<void> | void;
}

/** The last step: what happened, as a sentence and optionally a table. */
export interface ResultStep {
  kind: "result";
  /** One or a few sentences. */
  note?: string;
  /** Rows to show (contacts, users…). */
  table?: { columns: { name: string; label: string }[]; rows: Record<string, string>[] };
}

/** What running a command step yields. */
export type CommandStep = FormStep | ResultStep;

/**
 * Who may run a command, and so who sees it listed: `unregistered` means allowed JIDs that have
 * not registered yet; `allowed` means everyone who may register, registered or not (the register
 * command, which a registered user also runs to renew their Messenger login).
 */
export type CommandAccess = "anyone" | "allowed" | "unregistered" | "registered" | "admin";

/** Who is running a command. */
export interface CommandCaller {
  /** Bare JID, lower-cased. */
  jid: string;
  /** Full JID of the client resource, when known. */
  fullJid?: string;
  isAdmin: boolean;
  isRegistered: boolean;
  /** Matches `gateway.allowed_jids` (admins are always allowed). */
  isAllowed: boolean;
}

/** A command the gateway offers. */
export interface Command {
  /** Stable node name, e.g. `jabber:iq:register` or `contacts`. */
  node: string;
  /** Human name shown in menus ("Register", "List contacts"). */
  name: string;
  /** The word used in chat ("register", "contacts"); default: the node. */
  chatName?: string;
  /** One sentence for `help`. */
  help: string;
  access: CommandAccess;
  /** First step. May throw {@link CommandError}. */
  start(caller: CommandCaller): Promise<CommandStep> | CommandStep;
}

/** Why a command step failed, in terms both renderers can map. */
export type CommandErrorKind =
  /** The input was wrong: the user may correct and resubmit the same step. */
  | "bad_input"
  /** The caller may not do this. */
  | "forbidden"
  /** Credentials refused. */
  | "not_authorized"
  /** Something the command needs is missing (not registered, not found…). */
  | "not_found"
  /** The caller must register first. */
  | "registration_required"
  /** The network side is unavailable or refused for now. */
  | "unavailable"
  /** Anything else. */
  | "internal";

/** A failure with a sentence meant for the user (never a stack trace or a secret). */
export class CommandError extends Error {
  override name = "CommandError";
  constructor(readonly kind: CommandErrorKind, message: string) {
    super(message);
  }
}

/** True when `caller` may run a command with this access. */
export function mayRun(access: CommandAccess, caller: CommandCaller): boolean {
  switch (access) {
    case "anyone":
      return true;
    case "allowed":
      return caller.isAllowed || caller.isAdmin;
    case "unregistered":
      return !caller.isRegistered && (caller.isAllowed || caller.isAdmin);
    case "registered":
      return caller.isRegistered;
    case "admin":
      return caller.isAdmin;
  }
}
