/**
 * fca query results (sendMessage, getUserInfo, getThreadList, …) → the session's value types.
 *
 * Like the event conversions these read `unknown` JSON and never throw for a missing field:
 * an unusable entry is left out of a list, and an unusable single result becomes an
 * `internal` {@link MessengerError} for the caller.
 *
 * @module
 */

import { MessengerError } from "../errors.ts";
import { asMessageId, asThreadId, asUserId, type ThreadId, type UserId } from "../ids.ts";
import type {
  HistoryMessage,
  LastMessageSummary,
  SentMessage,
  ThreadInfo,
  UserInfo,
} from "../session.ts";
import { idText, list, numeric, record, text } from "./_narrow.ts";
import { attachmentsFromFca } from "./convert_attachment.ts";

/** sendMessage's `{threadID, messageID, timestamp}`. */
export function sentMessageFromFca(raw: unknown, now: () => number): SentMessage {
  const fields = record(raw);
  const id = idText(fields?.messageID);
  if (id === undefined) {
    throw new MessengerError("internal", "Facebook accepted the message but returned no id");
  }
  return { id: asMessageId(id), timestamp: numeric(fields?.timestamp) ?? now() };
}

/** getUserInfo's `{id: {name, firstName, thumbSrc, profileUrl, isFriend}}`. */
export function usersFromUserInfo(raw: unknown): UserInfo[] {
  const users: UserInfo[] = [];
  for (const [id, value] of Object.entries(record(raw) ?? {})) {
    const fields = record(value);
    const name = text(fields?.name);
    if (fields === undefined || name === undefined || id === "") continue;
    users.push(userInfo(id, name, fields.firstName, fields.thumbSrc, fields.profileUrl, fields));
  }
  return users;
}

/**
 * getFriendsList's `[{userID, fullName, firstName, profilePicture, profileUrl, isFriend, type}]`.
 * Facebook's `user_info_all` behind it lists everyone the account chats with: Messenger contacts
 * who are not friends (kept, with `isFriend: false`), Pages and apps, and an invalid id `0`
 * entry (both left out, as other clients of that endpoint do).
 */
export function usersFromFriendsList(raw: unknown): UserInfo[] {
  const users: UserInfo[] = [];
  for (const entry of list(raw)) {
    const fields = record(entry);
    const id = idText(fields?.userID);
    const name = text(fields?.fullName);
    if (fields === undefined || id === undefined || id === "0" || name === undefined) continue;
    const type = text(fields.type);
    if (type !== undefined && type !== "friend" && type !== "user") continue;
    users.push(
      userInfo(id, name, fields.firstName, fields.profilePicture, fields.profileUrl, fields),
    );
  }
  return users;
}

/**
 * getUserID's search results `[{userID, name, photoUrl, profileUrl, type}]`: the typeahead also
 * finds Pages, groups, events and apps (left out), and gives profile paths relative to
 * facebook.com (made absolute).
 */
export function usersFromSearch(raw: unknown): UserInfo[] {
  const users: UserInfo[] = [];
  for (const entry of list(raw)) {
    const fields = record(entry);
    const id = idText(fields?.userID);
    const name = text(fields?.name);
    if (fields === undefined || id === undefined || name === undefined) continue;
    const type = text(fields.type);
    if (type !== undefined && type !== "user") continue;
    const path = text(fields.profileUrl);
    const profile = path?.startsWith("/") ? `https://www.facebook.com${path}` : path;
    users.push(userInfo(id, name, undefined, fields.photoUrl, profile, {}));
  }
  return users;
}

/** getThreadList's entries. */
export function threadsFromThreadList(raw: unknown): ThreadInfo[] {
  const threads: ThreadInfo[] = [];
  for (const entry of list(raw)) {
    const fields = record(entry);
    const id = idText(fields?.threadID);
    if (fields === undefined || id === undefined) continue;
    const info = threadInfo(id, fields, text(fields.name));
    // fca's `participants`: `[{userID, name, shortName, profilePicture, url, isViewerFriend}]`.
    const users = list(fields.participants).flatMap((entry) => {
      const user = record(entry);
      const userId = idText(user?.userID);
      const name = text(user?.name);
      if (user === undefined || userId === undefined || name === undefined) return [];
      const isFriend = user.isViewerFriend;
      return [userInfo(userId, name, user.shortName, user.profilePicture, user.url, { isFriend })];
    });
    if (users.length > 0) info.users = users;
    threads.push(info);
  }
  return threads;
}

/**
 * getThreadInfo's result. A 1:1 conversation has no name of its own: like getThreadList, it is
 * named after the other participant (from fca's `userInfo`).
 */
export function threadFromThreadInfo(thread: ThreadId, raw: unknown): ThreadInfo {
  const fields = record(raw);
  if (fields === undefined) throw new MessengerError("not_found", "No such Messenger thread");
  const other = fields.isGroup === true
    ? undefined
    : list(fields.userInfo).map(record).find((user) => idText(user?.id) === thread);
  const info = threadInfo(
    thread,
    fields,
    text(fields.threadName) ?? text(fields.name) ?? text(other?.name),
  );
  // fca's `userInfo`: `[{id, name, firstName, thumbSrc, profileUrl, isFriend}]`.
  const users = list(fields.userInfo).flatMap((entry) => {
    const user = record(entry);
    const id = idText(user?.id);
    const name = text(user?.name);
    if (user === undefined || id === undefined || name === undefined) return [];
    // fca puts the picture in `profileUrl` too: not a profile page.
    return [userInfo(id, name, user.firstName, user.thumbSrc, undefined, user)];
  });
  if (users.length > 0) info.users = users;
  return info;
}

/** getThreadHistory's messages (events and unusable entries are left out), oldest first. */
export function historyFromFca(thread: ThreadId, raw: unknown): HistoryMessage[] {
  const messages: HistoryMessage[] = [];
  for (const entry of list(raw)) {
    const fields = record(entry);
    if (fields === undefined || fields.type !== "message") continue;
    const id = idText(fields.messageID);
    const sender = idText(fields.senderID);
    if (id === undefined || sender === undefined) continue;
    messages.push({
      id: asMessageId(id),
      thread,
      sender: asUserId(sender),
      text: text(fields.body) ?? "",
      attachments: attachmentsFromFca(fields.attachments).attachments,
      timestamp: numeric(fields.timestamp) ?? 0,
    });
  }
  return messages.sort((a, b) => a.timestamp - b.timestamp);
}

/** createNewGroup's thread id. */
export function threadIdFromCreateGroup(raw: unknown): ThreadId {
  const id = idText(raw);
  if (id === undefined) throw new MessengerError("internal", "Facebook created no group id");
  return asThreadId(id);
}

function userInfo(
  id: string,
  name: string,
  firstName: unknown,
  avatar: unknown,
  profile: unknown,
  fields: Record<string, unknown>,
): UserInfo {
  const user: UserInfo = { id: asUserId(id), name };
  const first = text(firstName);
  if (first !== undefined && first !== "") user.firstName = first;
  const avatarUrl = text(avatar);
  if (avatarUrl !== undefined && avatarUrl !== "") user.avatarUrl = avatarUrl;
  const profileUrl = text(profile);
  if (profileUrl !== undefined && profileUrl !== "") user.profileUrl = profileUrl;
  if (typeof fields.isFriend === "boolean") user.isFriend = fields.isFriend;
  return user;
}

function threadInfo(id: string, fields: Record<string, unknown>, name?: string): ThreadInfo {
  const participants: UserId[] = [];
  for (const participant of list(fields.participantIDs)) {
    const participantId = idText(participant);
    if (participantId !== undefined) participants.push(asUserId(participantId));
  }
  const info: ThreadInfo = {
    id: asThreadId(id),
    isGroup: fields.isGroup === true,
    participants,
  };
  if (name !== undefined && name !== "") info.name = name;
  // fca lists admins as objects ({id}) or, in some shapes, plain ids.
  const admins = list(fields.adminIDs).flatMap((admin) => {
    const id = idText(record(admin)?.id) ?? idText(admin);
    return id === undefined ? [] : [asUserId(id)];
  });
  if (admins.length > 0) info.admins = admins;
  const imageUrl = text(fields.imageSrc);
  if (imageUrl !== undefined && imageUrl !== "") info.imageUrl = imageUrl;
  const lastMessageAt = numeric(fields.lastMessageTimestamp);
  const lastActivity = lastMessageAt ?? numeric(fields.timestamp);
  if (lastActivity !== undefined) info.lastActivity = lastActivity;
  // getThreadList's summary of the newest message (getThreadInfo gives none).
  if (lastMessageAt !== undefined) {
    const lastMessage: LastMessageSummary = { timestamp: lastMessageAt };
    const sender = idText(fields.snippetSender);
    if (sender !== undefined) lastMessage.sender = asUserId(sender);
    const snippet = text(fields.snippet);
    if (snippet !== undefined) lastMessage.snippet = snippet;
    info.lastMessage = lastMessage;
  }
  const unread = numeric(fields.unreadCount);
  if (unread !== undefined) info.unreadCount = unread;
  const folder = text(fields.folder);
  if (folder !== undefined) info.isMessageRequest = folder === "PENDING" || folder === "OTHER";
  return info;
}
