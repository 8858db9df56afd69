/**
 * What a test (or an admin with curl) can make happen on the simulated network "as if somebody
 * did it": a friend's message, reaction, unsend, read receipt, typing, presence, or a group change
 * (rename, members, picture, admins) — or the account itself acting from another device (the
 * events then carry `fromSelf: true`).
 *
 * An injection has the shape of the {@link RemoteEvent} it produces, with the field names of that
 * event; ids, timestamps and the thread of a 1:1 chat are filled in when omitted, and bytes given
 * as base64 are served by the network's file server. {@link parseInjection} validates JSON input
 * strictly (a wrong or unknown field is a `bad_request` naming it).
 *
 * @module
 */

import type { Attachment, AttachmentKind } from "../events.ts";
import { idValue, invalid, JsonFields } from "./json_fields.ts";

/**
 * An attachment of an injected message: the event's {@link Attachment} with every field optional
 * (`kind` defaults from `contentType`: photo, gif, video, audio, file), or bytes (base64) the
 * network serves, setting `url` and `size`.
 */
export interface InjectedAttachment extends Partial<Attachment> {
  data?: string;
}

/** A file given inline (base64), e.g. a new group picture. */
export interface InjectedFile {
  data: string;
  filename?: string;
  contentType?: string;
}

/** A mention in an injected message. */
export interface InjectedMention {
  user: string;
  offset: number;
  length: number;
}

/**
 * Something to happen, as seen by the account it is injected for. `thread` is the id that account
 * knows the thread by; for 1:1 events it defaults to the actor's id (required when the account
 * itself is the actor). The fields `isGroup` and `fromSelf` may be given (e.g. when pasting an
 * event) but must then agree with what the network derives.
 */
export type Injection =
  | {
    type: "message";
    sender: string;
    thread?: string;
    text?: string;
    attachments?: InjectedAttachment[];
    mentions?: InjectedMention[];
    /** The id of the message this one replies to. */
    replyTo?: string;
    /** A chosen message id (must be new); default: a fresh `mid.$sim…`. */
    id?: string;
    timestamp?: number;
    isGroup?: boolean;
    fromSelf?: boolean;
  }
  | {
    type: "reaction";
    reactor: string;
    messageId: string;
    /** One emoji, or `""` to remove the reactor's reaction. */
    reaction: string;
    /** Optional; must then be the message's thread. */
    thread?: string;
    timestamp?: number;
    fromSelf?: boolean;
  }
  | {
    type: "unsend";
    sender: string;
    messageId: string;
    /** Optional; must then be the message's thread. */
    thread?: string;
    timestamp?: number;
    fromSelf?: boolean;
  }
  | {
    type: "read_receipt";
    reader: string;
    thread?: string;
    timestamp?: number;
    fromSelf?: boolean;
  }
  | { type: "typing"; user: string; thread?: string; typing?: boolean; fromSelf?: boolean }
  | { type: "presence"; user: string; online: boolean; lastActive?: number }
  | { type: "thread_renamed"; author: string; thread: string; name: string; timestamp?: number }
  | {
    type: "participants_added";
    author: string;
    thread: string;
    users: (string | { id: string; name?: string })[];
    timestamp?: number;
  }
  | {
    type: "participant_left";
    author: string;
    thread: string;
    /** Who left or was removed; default: the author (leaving). */
    user?: string;
    timestamp?: number;
  }
  | {
    type: "thread_image";
    author: string;
    thread: string;
    /** The new picture's URL; or give `image` to have the network serve it; neither: removed. */
    url?: string;
    image?: InjectedFile;
    timestamp?: number;
  }
  | {
    type: "admins_changed";
    /** A group admin. */
    author: string;
    thread: string;
    /** Who is made an admin, or is one no more. */
    user: string;
    admin: boolean;
    timestamp?: number;
  };

/** The injection types. */
export const INJECTION_TYPES = [
  "message",
  "reaction",
  "unsend",
  "read_receipt",
  "typing",
  "presence",
  "thread_renamed",
  "participants_added",
  "participant_left",
  "thread_image",
  "admins_changed",
] as const satisfies readonly Injection["type"][];

const _allTypesListed: Injection["type"] extends (typeof INJECTION_TYPES)[number] ? true
  : never = true;

const ATTACHMENT_KINDS = [
  "photo",
  "gif",
  "video",
  "audio",
  "file",
  "sticker",
  "share",
  "location",
  "unknown",
] as const satisfies readonly AttachmentKind[];

/**
 * The name each injection type gave its actor before `actor` became the one name for all of them
 * (as in the events the gateway receives); still accepted, so older scripts keep working.
 */
const OLDER_ACTOR_FIELD: Record<Injection["type"], string> = {
  message: "sender",
  reaction: "reactor",
  unsend: "sender",
  read_receipt: "reader",
  typing: "user",
  presence: "user",
  thread_renamed: "author",
  participants_added: "author",
  participant_left: "author",
  thread_image: "author",
  admins_changed: "author",
};

/** Validates one injection given as JSON (`path` names it in messages). */
export function parseInjection(value: unknown, path: string): Injection {
  return parseWithOlderNames(withActorAsOlderName(value, path), path);
}

/** Turns `actor` into the type's older field name, which the parser below reads. */
function withActorAsOlderName(value: unknown, path: string): unknown {
  const given = JsonFields.of(value, path).value;
  const type = given.type;
  if (typeof type !== "string" || !(type in OLDER_ACTOR_FIELD)) return value;
  const older = OLDER_ACTOR_FIELD[type as Injection["type"]];
  if (given.actor === undefined) {
    if (given[older] === undefined) throw invalid(`${path}.actor`, "is required");
    return value;
  }
  if (given[older] !== undefined) {
    throw invalid(`${path}.actor`, `and ${older} name the same person: give only actor`);
  }
  const { actor, ...rest } = given;
  return { ...rest, [older]: actor };
}

function parseWithOlderNames(value: unknown, path: string): Injection {
  const fields = JsonFields.of(value, path);
  const type = fields.oneOf("type", INJECTION_TYPES, true);
  const timestamp = fields.number("timestamp");
  const withTime = timestamp === undefined ? {} : { timestamp };
  const fromSelf = fields.boolean("fromSelf");
  const withFromSelf = fromSelf === undefined ? {} : { fromSelf };
  const thread = fields.id("thread");
  const withThread = thread === undefined ? {} : { thread };
  switch (type) {
    case "message": {
      fields.only([
        "type",
        "sender",
        "thread",
        "text",
        "attachments",
        "mentions",
        "replyTo",
        "id",
        "timestamp",
        "isGroup",
        "fromSelf",
      ]);
      const injection: Injection = {
        type,
        sender: fields.id("sender", true),
        ...withThread,
        ...withTime,
        ...withFromSelf,
      };
      const text = fields.string("text");
      if (text !== undefined) injection.text = text;
      const attachments = fields.array("attachments", parseAttachment);
      if (attachments !== undefined) injection.attachments = attachments;
      const mentions = fields.array("mentions", parseMention);
      if (mentions !== undefined) injection.mentions = mentions;
      const replyTo = fields.string("replyTo");
      if (replyTo !== undefined) injection.replyTo = replyTo;
      const id = fields.string("id");
      if (id !== undefined) {
        if (id.trim() === "") throw invalid(`${path}.id`, "must not be empty");
        injection.id = id;
      }
      const isGroup = fields.boolean("isGroup");
      if (isGroup !== undefined) injection.isGroup = isGroup;
      return injection;
    }
    case "reaction":
      fields.only(["type", "reactor", "messageId", "reaction", "timestamp", "fromSelf", "thread"]);
      return {
        type,
        reactor: fields.id("reactor", true),
        messageId: fields.string("messageId", true),
        reaction: fields.string("reaction", true),
        ...withThread,
        ...withTime,
        ...withFromSelf,
      };
    case "unsend":
      fields.only(["type", "sender", "messageId", "timestamp", "fromSelf", "thread"]);
      return {
        type,
        sender: fields.id("sender", true),
        messageId: fields.string("messageId", true),
        ...withThread,
        ...withTime,
        ...withFromSelf,
      };
    case "read_receipt":
      fields.only(["type", "reader", "thread", "timestamp", "fromSelf"]);
      return {
        type,
        reader: fields.id("reader", true),
        ...withThread,
        ...withTime,
        ...withFromSelf,
      };
    case "typing": {
      fields.only(["type", "user", "thread", "typing", "fromSelf"]);
      const typing = fields.boolean("typing");
      return {
        type,
        user: fields.id("user", true),
        ...withThread,
        ...(typing === undefined ? {} : { typing }),
        ...withFromSelf,
      };
    }
    case "presence": {
      fields.only(["type", "user", "online", "lastActive"]);
      const lastActive = fields.number("lastActive");
      return {
        type,
        user: fields.id("user", true),
        online: fields.boolean("online", true),
        ...(lastActive === undefined ? {} : { lastActive }),
      };
    }
    case "thread_renamed":
      fields.only(["type", "author", "thread", "name", "timestamp"]);
      return {
        type,
        author: fields.id("author", true),
        thread: fields.id("thread", true),
        name: fields.string("name", true),
        ...withTime,
      };
    case "participants_added": {
      fields.only(["type", "author", "thread", "users", "timestamp"]);
      const users = fields.array("users", (entry, at) => {
        if (typeof entry === "object" && entry !== null) {
          const user = JsonFields.of(entry, at).only(["id", "name"]);
          return user.id("id", true);
        }
        return idValue(entry, at);
      });
      if (users === undefined) throw invalid(`${path}.users`, "is missing");
      return {
        type,
        author: fields.id("author", true),
        thread: fields.id("thread", true),
        users,
        ...withTime,
      };
    }
    case "participant_left": {
      fields.only(["type", "author", "thread", "user", "timestamp"]);
      const user = fields.id("user");
      return {
        type,
        author: fields.id("author", true),
        thread: fields.id("thread", true),
        ...(user === undefined ? {} : { user }),
        ...withTime,
      };
    }
    case "thread_image": {
      fields.only(["type", "author", "thread", "url", "image", "timestamp"]);
      const url = fields.string("url");
      const image = fields.value.image === undefined
        ? undefined
        : parseFile(fields.value.image, `${path}.image`);
      if (url !== undefined && image !== undefined) {
        throw invalid(path, "must give url or image, not both");
      }
      return {
        type,
        author: fields.id("author", true),
        thread: fields.id("thread", true),
        ...(url === undefined ? {} : { url }),
        ...(image === undefined ? {} : { image }),
        ...withTime,
      };
    }
    case "admins_changed":
      fields.only(["type", "author", "thread", "user", "admin", "timestamp"]);
      return {
        type,
        author: fields.id("author", true),
        thread: fields.id("thread", true),
        user: fields.id("user", true),
        admin: fields.boolean("admin", true),
        ...withTime,
      };
  }
}

function parseAttachment(value: unknown, path: string): InjectedAttachment {
  const fields = JsonFields.of(value, path).only([
    "kind",
    "url",
    "data",
    "filename",
    "contentType",
    "size",
    "width",
    "height",
    "isVoice",
    "title",
    "description",
    "latitude",
    "longitude",
  ]);
  const attachment: InjectedAttachment = {};
  const kind = fields.oneOf("kind", ATTACHMENT_KINDS);
  if (kind !== undefined) attachment.kind = kind;
  for (const key of ["url", "data", "filename", "contentType", "title", "description"] as const) {
    const text = fields.string(key);
    if (text !== undefined) attachment[key] = text;
  }
  for (const key of ["width", "height", "latitude", "longitude"] as const) {
    const number = fields.number(key);
    if (number !== undefined) attachment[key] = number;
  }
  const size = fields.count("size");
  if (size !== undefined) attachment.size = size;
  const isVoice = fields.boolean("isVoice");
  if (isVoice !== undefined) attachment.isVoice = isVoice;
  if (attachment.url !== undefined && attachment.data !== undefined) {
    throw invalid(path, "must give url or data, not both");
  }
  if (attachment.data !== undefined) decodeBase64(attachment.data, `${path}.data`);
  return attachment;
}

function parseFile(value: unknown, path: string): InjectedFile {
  const fields = JsonFields.of(value, path).only(["data", "filename", "contentType"]);
  const file: InjectedFile = { data: fields.string("data", true) };
  decodeBase64(file.data, `${path}.data`);
  const filename = fields.string("filename");
  if (filename !== undefined) file.filename = filename;
  const contentType = fields.string("contentType");
  if (contentType !== undefined) file.contentType = contentType;
  return file;
}

function parseMention(value: unknown, path: string): InjectedMention {
  const fields = JsonFields.of(value, path).only(["user", "offset", "length"]);
  return {
    user: fields.id("user", true),
    offset: fields.count("offset") ?? 0,
    length: fields.count("length") ?? 0,
  };
}

/** Decodes base64 (standard alphabet, padding optional), or throws a `bad_request` naming `path`. */
export function decodeBase64(text: string, path: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.replace(/=+$/, "").length % 4 === 1) {
    throw invalid(path, "must be base64");
  }
  const binary = atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, "="));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
