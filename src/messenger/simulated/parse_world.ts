/**
 * Reading and validating world files (TOML) into a {@link World}.
 *
 * Every problem is collected before throwing, each naming the file and the key. Values of
 * `password`, `two_factor_code` and `cookies` never appear in a message, and TOML syntax errors
 * are reported by line and column only (smol-toml's own message quotes the offending line, which
 * could be a password line).
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { parseCookies } from "../credentials.ts";
import { isMessengerError } from "../errors.ts";
import { asThreadId, asUserId, type ThreadId, type UserId } from "../ids.ts";
import type { World, WorldAccount, WorldGroup, WorldMessageRequest, WorldUser } from "./world.ts";
import { WorldError, type WorldProblem } from "./world_error.ts";

/** Reads and validates a world file; throws a {@link WorldError} naming every problem. */
export async function loadWorld(path: string): Promise<World> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "does not exist"
      : `cannot be read: ${error instanceof Error ? error.name : "unknown error"}`;
    throw new WorldError(path, [{ message: `World file ${path} ${reason}` }]);
  }
  return parseWorld(text, path);
}

/**
 * Parses and validates the text of a world file. `file` is only used in messages.
 * Throws a {@link WorldError} naming every problem.
 */
export function parseWorld(text: string, file: string): World {
  let root: Record<string, unknown>;
  try {
    root = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new WorldError(file, [{
        message:
          `World file ${file} is not valid TOML at line ${error.line}, column ${error.column}: ${reason}`,
      }]);
    }
    throw error;
  }
  return new WorldReader(file).read(root);
}

type Table = Record<string, unknown>;

const TOP_KEYS = ["account", "user"];
const ACCOUNT_KEYS = [
  "email",
  "password",
  "two_factor_code",
  "cookies",
  "user_id",
  "name",
  "first_name",
  "avatar_url",
  "checkpoint",
  "friend",
  "group",
  "message_request",
];
const USER_KEYS = ["id", "name", "first_name", "avatar_url", "echo"];
const GROUP_KEYS = ["id", "name", "members", "admins", "image_url"];
const REQUEST_KEYS = ["from", "text"];

/** One validation pass; collects problems instead of stopping at the first. */
class WorldReader {
  readonly #problems: WorldProblem[] = [];
  readonly #users = new Map<UserId, { user: WorldUser; key: string }>();
  readonly #groups = new Map<ThreadId, { group: WorldGroup; key: string }>();
  readonly #accounts: WorldAccount[] = [];
  readonly #emails = new Map<string, string>();
  /** Checks that can only run once every user is known. */
  readonly #deferred: (() => void)[] = [];

  constructor(readonly file: string) {}

  read(root: Table): World {
    this.#unknownKeys(root, TOP_KEYS, "");
    const accounts = this.#tableArray(root, "account", "account");
    if (accounts !== undefined && accounts.length === 0 || root.account === undefined) {
      this.#problem("account", "must list at least one [[account]]");
    }
    for (const [index, table] of (accounts ?? []).entries()) {
      this.#readAccount(table, `account[${index}]`);
    }
    for (const [index, table] of (this.#tableArray(root, "user", "user") ?? []).entries()) {
      this.#readUser(table, `user[${index}]`);
    }
    for (const check of this.#deferred) check();
    this.#makeFriendshipsSymmetric();
    if (this.#problems.length > 0) throw new WorldError(this.file, this.#problems);
    return {
      file: this.file,
      users: [...this.#users.values()].map((entry) => entry.user),
      accounts: this.#accounts,
      groups: [...this.#groups.values()].map((entry) => entry.group),
    };
  }

  #readAccount(table: Table, key: string): void {
    this.#unknownKeys(table, ACCOUNT_KEYS, key);
    const userId = this.#id(table, "user_id", key);
    const name = this.#string(table, "name", key, { required: true });
    const email = this.#string(table, "email", key, { required: true });
    const password = this.#string(table, "password", key, { required: true, secret: true });
    const twoFactorCode = this.#string(table, "two_factor_code", key, { secret: true });
    const cookieText = this.#string(table, "cookies", key, { secret: true });
    const checkpoint = this.#boolean(table, "checkpoint", key) ?? false;
    const firstName = this.#string(table, "first_name", key);
    const avatarUrl = this.#url(table, "avatar_url", key);
    if (email !== undefined) {
      const lower = email.toLowerCase();
      const earlier = this.#emails.get(lower);
      if (earlier !== undefined) {
        this.#problem(`${key}.email`, `repeats the email of ${earlier}`);
      } else this.#emails.set(lower, key);
    }
    let cookies;
    if (cookieText !== undefined) {
      try {
        cookies = parseCookies(cookieText);
        const cUser = cookies.find((cookie) => cookie.key === "c_user");
        if (userId !== undefined && cUser?.value !== userId) {
          this.#problem(`${key}.cookies`, "must have c_user equal to user_id");
        }
      } catch (error) {
        if (!isMessengerError(error)) throw error;
        this.#problem(`${key}.cookies`, `is not valid: ${error.message}`);
      }
    }
    if (userId !== undefined && name !== undefined) {
      this.#addUser({ id: userId, name, firstName, avatarUrl, echo: false }, key, true);
    }
    const friends: UserId[] = [];
    const friendTables = this.#tableArray(table, "friend", `${key}.friend`) ?? [];
    for (const [index, friendTable] of friendTables.entries()) {
      const friendKey = `${key}.friend[${index}]`;
      const friend = this.#readUser(friendTable, friendKey);
      if (friend === undefined) continue;
      if (friend === userId) this.#problem(`${friendKey}.id`, "is the account's own user_id");
      else if (friends.includes(friend)) this.#problem(`${friendKey}.id`, "repeats a friend");
      else friends.push(friend);
    }
    const groupTables = this.#tableArray(table, "group", `${key}.group`) ?? [];
    for (const [index, groupTable] of groupTables.entries()) {
      this.#readGroup(groupTable, `${key}.group[${index}]`, userId);
    }
    const messageRequests: WorldMessageRequest[] = [];
    const requestTables = this.#tableArray(table, "message_request", `${key}.message_request`) ??
      [];
    for (const [index, requestTable] of requestTables.entries()) {
      const requestKey = `${key}.message_request[${index}]`;
      this.#unknownKeys(requestTable, REQUEST_KEYS, requestKey);
      const from = this.#id(requestTable, "from", requestKey);
      const text = this.#string(requestTable, "text", requestKey, { required: true });
      if (from === undefined || text === undefined) continue;
      messageRequests.push({ from, text });
      this.#deferred.push(() => {
        if (!this.#users.has(from)) {
          this.#problem(`${requestKey}.from`, "is not a user of this world");
        } else if (from === userId || friends.includes(from)) {
          this.#problem(`${requestKey}.from`, "must be someone who is not a friend");
        }
      });
    }
    if (
      userId === undefined || name === undefined || email === undefined || password === undefined
    ) return;
    const account: WorldAccount = { userId, email, password, checkpoint, friends, messageRequests };
    if (twoFactorCode !== undefined) account.twoFactorCode = twoFactorCode;
    if (cookies !== undefined) account.cookies = cookies;
    this.#accounts.push(account);
  }

  #readUser(table: Table, key: string): UserId | undefined {
    this.#unknownKeys(table, USER_KEYS, key);
    const id = this.#id(table, "id", key);
    const name = this.#string(table, "name", key, { required: true });
    const firstName = this.#string(table, "first_name", key);
    const avatarUrl = this.#url(table, "avatar_url", key);
    const echo = this.#boolean(table, "echo", key) ?? false;
    if (id === undefined || name === undefined) return undefined;
    this.#addUser({ id, name, firstName, avatarUrl, echo }, key, false);
    return id;
  }

  #addUser(user: WorldUser, key: string, isAccount: boolean): void {
    if (user.firstName === undefined) delete user.firstName;
    if (user.avatarUrl === undefined) delete user.avatarUrl;
    const idKey = `${key}.${isAccount ? "user_id" : "id"}`;
    if (user.echo) {
      this.#deferred.push(() => {
        if (this.#accounts.some((account) => account.userId === user.id)) {
          this.#problem(`${key}.echo`, "cannot be set on a user who is also an account");
        }
      });
    }
    const known = this.#users.get(user.id);
    if (known === undefined) {
      this.#users.set(user.id, { user, key });
      return;
    }
    if (known.user.name !== user.name) {
      this.#problem(`${key}.name`, `differs from the name given to the same id in ${known.key}`);
    }
    if (isAccount && this.#accounts.some((account) => account.userId === user.id)) {
      this.#problem(idKey, `repeats the user_id of another account`);
    }
    if (user.echo) known.user.echo = true;
    known.user.firstName ??= user.firstName;
    known.user.avatarUrl ??= user.avatarUrl;
    if (known.user.firstName === undefined) delete known.user.firstName;
    if (known.user.avatarUrl === undefined) delete known.user.avatarUrl;
  }

  #readGroup(table: Table, key: string, accountId: UserId | undefined): void {
    this.#unknownKeys(table, GROUP_KEYS, key);
    const rawId = this.#id(table, "id", key);
    const name = this.#string(table, "name", key);
    const imageUrl = this.#url(table, "image_url", key);
    const admins: UserId[] = [];
    const rawAdmins = table.admins;
    if (rawAdmins !== undefined && !Array.isArray(rawAdmins)) {
      this.#problem(`${key}.admins`, "must be a list of user ids");
    } else {
      for (const [index, entry] of (rawAdmins ?? []).entries()) {
        const id = this.#idValue(entry, `${key}.admins[${index}]`);
        if (id !== undefined && !admins.includes(id)) admins.push(id);
      }
    }
    if (rawAdmins === undefined && accountId !== undefined) admins.push(accountId);
    const members: UserId[] = [];
    const raw = table.members;
    if (raw === undefined) this.#problem(`${key}.members`, "is missing");
    else if (!Array.isArray(raw)) this.#problem(`${key}.members`, "must be a list of user ids");
    else {
      for (const [index, entry] of raw.entries()) {
        const id = this.#idValue(entry, `${key}.members[${index}]`);
        if (id !== undefined && !members.includes(id)) members.push(id);
      }
    }
    if (accountId !== undefined && !members.includes(accountId)) members.unshift(accountId);
    if (rawId === undefined) return;
    const id = asThreadId(rawId);
    for (const member of members) {
      this.#deferred.push(() => {
        if (!this.#users.has(member)) {
          this.#problem(`${key}.members`, `names ${member}, who is not a user of this world`);
        }
      });
    }
    this.#deferred.push(() => {
      if (this.#users.has(rawId)) this.#problem(`${key}.id`, "is also the id of a user");
    });
    if (Array.isArray(raw) && members.length < 2) {
      this.#problem(`${key}.members`, "must name at least one other member");
    }
    for (const admin of admins) {
      if (!members.includes(admin)) this.#problem(`${key}.admins`, `names ${admin}, not a member`);
    }
    const known = this.#groups.get(id);
    if (known === undefined) {
      const group: WorldGroup = { id, members, admins };
      if (name !== undefined) group.name = name;
      if (imageUrl !== undefined) group.imageUrl = imageUrl;
      this.#groups.set(id, { group, key });
      return;
    }
    if (name !== undefined && known.group.name !== undefined && known.group.name !== name) {
      this.#problem(`${key}.name`, `differs from the name given to the same group in ${known.key}`);
    }
    known.group.name ??= name;
    known.group.imageUrl ??= imageUrl;
    if (known.group.name === undefined) delete known.group.name;
    if (known.group.imageUrl === undefined) delete known.group.imageUrl;
    for (const member of members) {
      if (!known.group.members.includes(member)) known.group.members.push(member);
    }
    // Admins given explicitly anywhere win over the default (the first account listing it).
    if (rawAdmins !== undefined) {
      for (const admin of admins) {
        if (!known.group.admins.includes(admin)) known.group.admins.push(admin);
      }
    }
  }

  /** A friendship between two accounts is listed on both. */
  #makeFriendshipsSymmetric(): void {
    const byId = new Map(this.#accounts.map((account) => [account.userId, account]));
    for (const account of this.#accounts) {
      for (const friend of account.friends) {
        const other = byId.get(friend);
        if (other !== undefined && !other.friends.includes(account.userId)) {
          other.friends.push(account.userId);
        }
      }
    }
  }

  #problem(key: string, text: string): void {
    this.#problems.push({ key, message: `World file ${this.file}: ${key} ${text}` });
  }

  #unknownKeys(table: Table, allowed: string[], key: string): void {
    for (const name of Object.keys(table)) {
      if (!allowed.includes(name)) {
        this.#problem(
          key === "" ? name : `${key}.${name}`,
          `is not a known key (expected one of ${allowed.join(", ")})`,
        );
      }
    }
  }

  #tableArray(table: Table, name: string, key: string): Table[] | undefined {
    const value = table[name];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((entry) => !isTable(entry))) {
      this.#problem(key, `must be written as [[${key.replace(/\[\d+\]/g, "")}]] tables`);
      return undefined;
    }
    return value as Table[];
  }

  #string(
    table: Table,
    name: string,
    key: string,
    options: { required?: boolean; secret?: boolean } = {},
  ): string | undefined {
    const value = table[name];
    if (value === undefined) {
      if (options.required) this.#problem(`${key}.${name}`, "is missing");
      return undefined;
    }
    if (typeof value !== "string" || value.trim() === "") {
      const hint = options.secret && typeof value === "number" ? " (put it in quotes)" : "";
      this.#problem(`${key}.${name}`, `must be a non-empty string${hint}`);
      return undefined;
    }
    return value;
  }

  #url(table: Table, name: string, key: string): string | undefined {
    const value = this.#string(table, name, key);
    if (value === undefined) return undefined;
    if (!URL.canParse(value)) {
      this.#problem(`${key}.${name}`, "must be an absolute URL");
      return undefined;
    }
    return value;
  }

  #boolean(table: Table, name: string, key: string): boolean | undefined {
    const value = table[name];
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") {
      this.#problem(`${key}.${name}`, "must be true or false");
      return undefined;
    }
    return value;
  }

  #id(table: Table, name: string, key: string): UserId | undefined {
    if (table[name] === undefined) {
      this.#problem(`${key}.${name}`, "is missing");
      return undefined;
    }
    return this.#idValue(table[name], `${key}.${name}`);
  }

  #idValue(value: unknown, key: string): UserId | undefined {
    if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) {
      return asUserId(String(value));
    }
    if (typeof value === "string" && /^[0-9]{1,20}$/.test(value)) return asUserId(value);
    this.#problem(key, `must be a numeric id such as "100001"`);
    return undefined;
  }
}

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}
