/**
 * The JSON the fake Facebook answers for fca's queries and group mutations, built from a small
 * model of people and conversations: exactly the fields fca-unofficial 1.3.10 reads, in
 * Facebook's shapes (reconstructed from fca's parsers — getFriendsList.js, getUserID.js,
 * getThreadList.js, getThreadInfo.js, getThreadHistory.js, createNewGroup.js, listenMqtt.js's
 * ForcedFetch — and public
 * captures of the same endpoints, e.g. fbchat's; not captured from Facebook in this project).
 *
 * What real Facebook does and fca passes on unfiltered is kept on purpose: `user_info_all` lists
 * Messenger contacts who are not friends, Pages and an invalid id `0` entry next to the
 * friends; the typeahead mixes Pages with people and gives relative profile paths; thread
 * participants include the account itself; times are strings of milliseconds.
 *
 * @module
 */

/** Someone (or some Page) Facebook knows. */
export interface FakePerson {
  id: string;
  name: string;
  firstName?: string;
  /** The profile's username, if it has one. */
  vanity?: string;
  /** `user_info_all`'s kind: "friend" for people (even non-friends, as Facebook does). */
  type?: "friend" | "user" | "page" | "app";
  /** A friend of the account; otherwise a Messenger contact only. */
  friend?: boolean;
}

/**
 * A message (or, with `renamedTo` or `pictureChangedTo`, a rename or new picture event) in a
 * conversation's history.
 */
export interface FakeMessage {
  id: string;
  sender: string;
  /** `null`: no text (a photo alone). */
  text: string | null;
  timestamp: number;
  photo?: { id: string; filename: string; url: string; width: number; height: number };
  /** A "named the group" event instead of a message. */
  renamedTo?: string;
  /** A "changed the group photo" event instead of a message; `null`: the photo was removed. */
  pictureChangedTo?: { id: string; url: string; width: number; height: number } | null;
}

/** A conversation. */
export interface FakeThread {
  /** A group's thread_fbid; the other user's id for a 1:1 conversation. */
  id: string;
  isGroup: boolean;
  name?: string;
  /** Everyone in it, the account included. */
  participants: string[];
  admins?: string[];
  /** Where it is filed; INBOX unless given (a pending message request overrides it). */
  folder?: "INBOX" | "PENDING" | "OTHER" | "ARCHIVED";
  unread?: number;
  /** updated_time_precise (ms). */
  updatedAt: number;
  imageUrl?: string;
  /** Oldest first. */
  messages?: FakeMessage[];
}

/** A conversation as one viewer sees it. */
export interface ThreadView {
  thread: FakeThread;
  folder: string;
  /** The participants, resolved. */
  members: FakePerson[];
}

/** The trailer Facebook appends to a graphqlbatch answer (one JSON object per line). */
const BATCH_OK = `\r\n{"successful_results":1,"error_results":0,"skipped_results":0}`;
const BATCH_FAILED = `\r\n{"successful_results":0,"error_results":1,"skipped_results":0}`;

/** A profile picture URL of the fake CDN. */
export function avatarUrl(id: string): string {
  return `https://scontent.fake/avatar-${id}.jpg`;
}

/** A person's profile URL as Facebook spells it. */
export function profileUrl(person: FakePerson): string {
  return `https://www.facebook.com/${profilePath(person).slice(1)}`;
}

function profilePath(person: FakePerson): string {
  return person.vanity === undefined ? `/profile.php?id=${person.id}` : `/${person.vanity}`;
}

function firstNameOf(person: FakePerson): string {
  return person.firstName ?? person.name.split(" ")[0];
}

/** A graphqlbatch answer: `o0` then the results trailer. */
export function graphqlBatch(o0: unknown): string {
  return `for (;;);${JSON.stringify({ o0 })}${BATCH_OK}`;
}

/** A graphqlbatch answer whose query failed (`error_results: 1`). */
export function graphqlBatchError(message: string): string {
  const error = { message, severity: "CRITICAL", code: 1675002, summary: "Query error" };
  return `for (;;);${JSON.stringify({ o0: { errors: [error] } })}${BATCH_FAILED}`;
}

/** A Facebook ajax error (`{error: number, errorSummary, …}`), as fca's parsers meet it. */
export function facebookError(code: number, summary: string, description: string): string {
  return `for (;;);${
    JSON.stringify({
      __ar: 1,
      error: code,
      errorSummary: summary,
      errorDescription: description,
      isNotCritical: false,
      payload: null,
      lid: "7300000000000000001",
    })
  }`;
}

/** An HTML error page answered with status 200, where JSON was expected. */
export function htmlErrorPage(): string {
  return `<!DOCTYPE html><html><head><title>Error</title></head><body>` +
    `<div>Sorry, something went wrong. We're working on getting this fixed.</div></body></html>`;
}

/** `/chat/user_info_all`: everyone the account deals with, keyed by id (getFriendsList). */
export function userInfoAll(people: FakePerson[]): unknown {
  const payload: Record<string, unknown> = {};
  for (const person of people) {
    const friend = person.friend === true;
    payload[person.id] = {
      id: person.id,
      name: person.name,
      firstName: firstNameOf(person),
      vanity: person.vanity ?? "",
      thumbSrc: avatarUrl(person.id),
      uri: profileUrl(person),
      gender: 1,
      i18nGender: 2,
      type: person.type ?? "friend",
      is_friend: friend,
      mThumbSrcSmall: null,
      mThumbSrcLarge: null,
      dir: null,
      searchTokens: person.name.split(" ").reverse(),
      alternateName: "",
      is_nonfriend_messenger_contact: !friend,
      is_birthday: false,
    };
  }
  return { __ar: 1, payload, bootloadable: {}, ixData: {}, lid: "7300000000000000002" };
}

/** `/ajax/typeahead/search.php`: matches of any kind, best first (getUserID). */
export function typeahead(matches: FakePerson[]): unknown {
  const entries = matches.map((person, rank) => ({
    uid: Number(person.id),
    type: person.type === "page" || person.type === "app" ? person.type : "user",
    text: person.name,
    path: profilePath(person),
    photo: avatarUrl(person.id),
    category: person.type === "page" ? "Bakery" : "",
    subtext: person.friend === true ? "Friend" : "",
    non_title_tokens: "",
    is_connected: person.friend === true,
    is_verified: false,
    index_rank: rank,
    score: Math.round((1 - rank / 10) * 1000) / 1000,
    bootstrapped: false,
  }));
  return {
    __ar: 1,
    payload: { entries },
    bootloadable: {},
    ixData: {},
    lid: "7300000000000000003",
  };
}

function actor(person: FakePerson): unknown {
  return {
    node: {
      messaging_actor: {
        id: person.id,
        __typename: "User",
        name: person.name,
        short_name: firstNameOf(person),
        gender: "FEMALE",
        url: profileUrl(person),
        big_image_src: { uri: avatarUrl(person.id) },
        username: person.vanity ?? null,
        is_viewer_friend: person.friend === true,
        is_messenger_user: true,
        is_verified: false,
        is_message_blocked_by_viewer: false,
        is_viewer_coworker: false,
        is_employee: null,
      },
    },
  };
}

/** A message_thread / thread list node: the fields getThreadList and getThreadInfo read. */
export function threadNode(view: ThreadView): Record<string, unknown> {
  const { thread, folder } = view;
  const messages = thread.messages ?? [];
  const last = messages.at(-1);
  return {
    thread_key: thread.isGroup
      ? { thread_fbid: thread.id, other_user_id: null }
      : { thread_fbid: null, other_user_id: thread.id },
    name: thread.isGroup ? thread.name ?? null : null,
    last_message: {
      nodes: last === undefined ? [] : [{
        snippet: last.text ?? "",
        message_sender: { messaging_actor: { id: last.sender } },
        timestamp_precise: String(last.timestamp),
        commerce_message_type: null,
        extensible_attachment: null,
        sticker: null,
        blob_attachments: [],
      }],
    },
    unread_count: thread.unread ?? 0,
    messages_count: messages.length,
    image: thread.imageUrl === undefined ? null : { uri: thread.imageUrl },
    updated_time_precise: String(thread.updatedAt),
    mute_until: null,
    is_pin_protected: false,
    is_viewer_subscribed: true,
    folder,
    has_viewer_archived: folder === "ARCHIVED",
    cannot_reply_reason: null,
    customization_info: {
      emoji: null,
      participant_customizations: [],
      outgoing_bubble_color: null,
    },
    customization_enabled: true,
    thread_admins: (thread.admins ?? []).map((id) => ({ id })),
    approval_mode: null,
    group_approval_queue: { nodes: [] },
    event_reminders: { nodes: [] },
    montage_thread: null,
    last_read_receipt: { nodes: [{ timestamp_precise: String(thread.updatedAt) }] },
    related_page_thread: null,
    reactions_mute_mode: "REACTIONS_NOT_MUTED",
    mentions_mute_mode: "MENTIONS_NOT_MUTED",
    thread_type: thread.isGroup ? "GROUP" : "ONE_TO_ONE",
    participant_add_mode_as_string: thread.isGroup ? "ADD" : null,
    is_canonical_neo_user: false,
    all_participants: { edges: view.members.map(actor) },
  };
}

/**
 * One thread (MessengerGraphQLThreadFetcher); `undefined` answers `message_thread: null`, what
 * Facebook gives for a conversation the viewer cannot see.
 */
export function threadInfo(view: ThreadView | undefined): string {
  return graphqlBatch({ data: { message_thread: view === undefined ? null : threadNode(view) } });
}

/** The thread list (MessengerGraphQLThreadlistFetcher) of `views`, newest first. */
export function threadList(views: ThreadView[], more: boolean, seqId: number): string {
  return graphqlBatch({
    data: {
      viewer: {
        message_threads: {
          sync_sequence_id: String(seqId),
          unread_count: views.filter((view) => (view.thread.unread ?? 0) > 0).length,
          unseen_count: 0,
          mute_until: null,
          nodes: views.map(threadNode),
          page_info: { has_next_page: more },
        },
      },
    },
  });
}

function messageNode(message: FakeMessage): Record<string, unknown> {
  const common = {
    message_id: message.id,
    message_sender: { id: message.sender, email: `${message.sender}@facebook.com` },
    timestamp_precise: String(message.timestamp),
  };
  if (message.renamedTo !== undefined) {
    return {
      __typename: "ThreadNameMessage",
      ...common,
      snippet: `named the group ${message.renamedTo}.`,
      thread_name: message.renamedTo,
    };
  }
  if (message.pictureChangedTo !== undefined) {
    const picture = message.pictureChangedTo;
    return {
      __typename: "ThreadImageMessage",
      ...common,
      snippet: picture === null ? "removed the group photo." : "changed the group photo.",
      image_with_metadata: picture === null ? null : {
        legacy_attachment_id: picture.id,
        original_dimensions: { x: picture.width, y: picture.height },
        preview: { uri: picture.url, width: picture.width, height: picture.height },
      },
    };
  }
  const photo = message.photo;
  return {
    __typename: "UserMessage",
    ...common,
    unread: false,
    is_sponsored: false,
    commerce_message_type: null,
    customizations: [],
    tags_list: ["source:messenger:web", "inbox"],
    message_reactions: [],
    message: message.text === null ? null : { text: message.text, ranges: [] },
    snippet: message.text ?? "sent a photo.",
    sticker: null,
    extensible_attachment: null,
    blob_attachments: photo === undefined ? [] : [{
      __typename: "MessageImage",
      legacy_attachment_id: photo.id,
      filename: photo.filename,
      attribution_app: null,
      thumbnail: { uri: `${photo.url}?size=thumb` },
      preview: { uri: `${photo.url}?size=preview`, width: 280, height: 210 },
      large_preview: { uri: photo.url, width: photo.width, height: photo.height },
      original_dimensions: { x: photo.width, y: photo.height },
      original_extension: "jpg",
      render_as_sticker: false,
    }],
  };
}

/** A thread's messages (getThreadHistory): the last `limit` before `before`, oldest first. */
export function threadHistory(view: ThreadView, limit: number, before?: number): string {
  const earlier = (view.thread.messages ?? []).filter((message) =>
    before === undefined || message.timestamp < before
  );
  const page = earlier.slice(Math.max(0, earlier.length - limit));
  return graphqlBatch({
    data: {
      message_thread: {
        ...threadNode(view),
        messages: {
          nodes: page.map(messageNode),
          page_info: { has_previous_page: page.length < earlier.length },
        },
      },
    },
  });
}

/** The query fca sends for one message by id (a ForcedFetch delta, a reply without its quote). */
export const MESSAGE_QUERY_DOC_ID = "2848441488556444";

/**
 * One message of a conversation by id, as the {@link MESSAGE_QUERY_DOC_ID} query answers it:
 * `message: null` for a message (or conversation) the viewer cannot see.
 */
export function threadMessage(view: ThreadView | undefined, id: string): string {
  const message = view?.thread.messages?.find((candidate) => candidate.id === id);
  return graphqlBatch({ data: { message: message === undefined ? null : messageNode(message) } });
}

/** `/api/graphql/` MessengerGroupCreateMutation's answer (plain JSON, as GraphQL answers). */
export function groupCreated(threadId: string): string {
  return JSON.stringify({
    data: {
      messenger_group_thread_create: {
        thread: { id: `thread:${threadId}`, thread_key: { thread_fbid: threadId } },
      },
    },
    extensions: { is_final: true },
  });
}

/** A failed `/api/graphql/` mutation (`errors`, `data` null). */
export function graphqlError(message: string, code: number): string {
  return JSON.stringify({
    errors: [{
      message,
      severity: "CRITICAL",
      code,
      api_error_code: null,
      summary: "Could not create the group",
      description: message,
      is_silent: false,
      is_transient: false,
      requires_reauth: false,
      allow_user_retry: false,
    }],
    data: { messenger_group_thread_create: null },
  });
}

/**
 * The admin text delta Messenger publishes when `actor` makes `target` an admin of a group
 * (`add`) or takes that role away: fca drops it, the adapter reads it (delta_tap.ts).
 */
export function adminChangeDelta(change: {
  actor: string;
  target: string;
  thread: string;
  add: boolean;
  messageId: string;
  timestamp: number;
}): Record<string, unknown> {
  return {
    class: "AdminTextMessage",
    type: "change_thread_admins",
    untypedData: {
      TARGET_ID: change.target,
      ADMIN_EVENT: change.add ? "add_admin" : "remove_admin",
    },
    messageMetadata: {
      actorFbId: change.actor,
      adminText: change.add ? "You made someone an admin." : "You removed someone as an admin.",
      messageId: change.messageId,
      threadKey: { threadFbId: change.thread },
      timestamp: String(change.timestamp),
    },
  };
}
