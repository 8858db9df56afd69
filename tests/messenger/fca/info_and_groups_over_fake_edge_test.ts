/**
 * The fca adapter's queries and group changes through fca's real code, against the fake
 * Facebook: getFriends, getThreads, getThreadInfo, getHistory, searchUsers, createGroup,
 * addToGroup, removeFromGroup, renameGroup, setGroupAdmin and handleMessageRequest.
 *
 * Why: these capabilities were written from fca's documentation and never run. The gateway
 * builds every roster from getFriends at login and lists groups and message requests with
 * getThreads, so a wrong field name, a string where a number is expected, or an entry that is
 * not a person would reach users unnoticed. Each step checks what fca sent (URL, form fields,
 * GraphQL variables) and the exact value the session returns; each family also gets an error
 * payload or garbage, which must reject with a MessengerError of a sensible code and leave the
 * Worker answering.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { FcaSession } from "../../../src/messenger/fca/fca_session.ts";
import { asThreadId, asUserId, type ThreadId } from "../../../src/messenger/ids.ts";
import type { ThreadInfo, UserInfo } from "../../../src/messenger/session.ts";
import { assertRejectsWith } from "../_contract.ts";
import type { FakeFacebook, RecordedRequest } from "./_fake_edge/fake_facebook.ts";
import {
  avatarUrl,
  facebookError,
  type FakePerson,
  type FakeThread,
  graphqlBatchError,
  graphqlError,
  htmlErrorPage,
} from "./_fake_edge/graph.ts";
import { ALICE, FcaTestBed, GROUP, SELF } from "./_harness.ts";

const BOB = "100003";
const CAROL = "100004";
/** Someone the account has talked with but is not friends with; their thread is a request. */
const DAVE = "100007";
const BAKERY = "200001";

const PEOPLE: FakePerson[] = [
  { id: ALICE, name: "Alice Martin", vanity: "alice.martin", friend: true },
  { id: BOB, name: "Bob Builder", friend: true },
  { id: CAROL, name: "Carol Nguyen", vanity: "carol.nguyen", friend: true },
  { id: DAVE, name: "Dave Alison", friend: false },
  { id: BAKERY, name: "Alice's Bakery", vanity: "alicesbakery", type: "page" },
  // What user_info_all also lists and fbchat learned to skip: an entry with the invalid id 0.
  { id: "0", name: "Facebook User", type: "user" },
];

const SUMMIT_PHOTO = {
  id: "8001",
  filename: "summit.jpg",
  url: "https://scontent.fake/summit.jpg",
  width: 1024,
  height: 768,
};

const THREADS: FakeThread[] = [
  {
    id: GROUP,
    isGroup: true,
    name: "Hiking club",
    participants: [SELF, ALICE, BOB],
    admins: [SELF],
    unread: 2,
    imageUrl: "https://scontent.fake/group-900001.jpg",
    // Later than the last message: the group was renamed after it.
    updatedAt: 1_700_000_050_000,
    messages: [
      { id: "mid.$g1", sender: ALICE, text: "Saturday?", timestamp: 1_700_000_010_000 },
      {
        id: "mid.$g2",
        sender: BOB,
        text: null,
        timestamp: 1_700_000_020_000,
        photo: SUMMIT_PHOTO,
      },
      {
        id: "mid.$g3",
        sender: ALICE,
        text: null,
        timestamp: 1_700_000_030_000,
        renamedTo: "Hiking club",
      },
      { id: "mid.$g4", sender: SELF, text: "Yes!", timestamp: 1_700_000_040_000 },
    ],
  },
  {
    id: ALICE,
    isGroup: false,
    participants: [SELF, ALICE],
    updatedAt: 1_700_000_060_000,
    messages: [{ id: "mid.$a1", sender: ALICE, text: "Hello", timestamp: 1_700_000_060_000 }],
  },
  {
    id: CAROL,
    isGroup: false,
    participants: [SELF, CAROL],
    unread: 1,
    updatedAt: 1_700_000_005_000,
    messages: [{ id: "mid.$c1", sender: CAROL, text: "Long time", timestamp: 1_700_000_005_000 }],
  },
  {
    id: DAVE,
    isGroup: false,
    participants: [SELF, DAVE],
    unread: 1,
    updatedAt: 1_700_000_070_000,
    messages: [{
      id: "mid.$d1",
      sender: DAVE,
      text: "Hi, we met at the conference",
      timestamp: 1_700_000_070_000,
    }],
  },
];

const THREAD_LIST = "MessengerGraphQLThreadlistFetcher";
const THREAD_INFO = "MessengerGraphQLThreadFetcher";
const HISTORY_DOC = "1498317363570230";

/** Facebook's rate limit answer, which fca passes on as it is. */
const RATE_LIMITED = facebookError(
  1390008,
  "You can't use this feature at the moment",
  "We limit how often you can post, comment or do other things in a given amount of time.",
);

function seed(fake: FakeFacebook): void {
  for (const person of PEOPLE) fake.people.set(person.id, structuredClone(person));
  for (const thread of THREADS) fake.threads.set(thread.id, structuredClone(thread));
  fake.messageRequests.add(DAVE);
}

/** The last request fca sent to `path` that `when` accepts. */
function lastRequest(
  fake: FakeFacebook,
  path: string,
  when: (request: RecordedRequest) => boolean = () => true,
): RecordedRequest {
  const request = fake.requestsTo(path).filter(when).at(-1);
  assert.ok(request, `nothing reached ${path}`);
  return request;
}

/** The `o0` query of a graphqlbatch request. */
function batchQuery(
  request: RecordedRequest,
): { doc_id: string; query_params: Record<string, unknown> } {
  const o0 = (JSON.parse(request.form.queries ?? "{}") as Record<string, unknown>).o0;
  assert.ok(typeof o0 === "object" && o0 !== null, `no o0 query in ${request.form.queries}`);
  return o0 as { doc_id: string; query_params: Record<string, unknown> };
}

const isBatch = (name: string) => (request: RecordedRequest) => request.form.batch_name === name;
const isHistory = (request: RecordedRequest) =>
  request.form.queries?.includes(`"doc_id":"${HISTORY_DOC}"`) === true;

function user(
  id: string,
  name: string,
  profile: string,
  extra: Partial<UserInfo> = {},
): UserInfo {
  return {
    id: asUserId(id),
    name,
    ...extra,
    avatarUrl: avatarUrl(id),
    profileUrl: `https://www.facebook.com/${profile}`,
  };
}

const ids = (...values: string[]) => values.map(asUserId);

/** The participants as getThreads lists them: names, pictures and profiles. */
const LISTED = {
  self: user(SELF, "User 100001", `profile.php?id=${SELF}`, { firstName: "User", isFriend: true }),
  alice: user(ALICE, "Alice Martin", "alice.martin", { firstName: "Alice", isFriend: true }),
  bob: user(BOB, "Bob Builder", `profile.php?id=${BOB}`, { firstName: "Bob", isFriend: true }),
  dave: user(DAVE, "Dave Alison", `profile.php?id=${DAVE}`, { firstName: "Dave", isFriend: false }),
};

/** A participant as getThreadInfo tells it: fca gives the picture for the profile, left out. */
function told(listed: UserInfo): UserInfo {
  const { profileUrl: _profile, ...rest } = listed;
  return rest;
}

Deno.test("queries and group changes reach Facebook in fca's format", async (t) => {
  const bed = await new FcaTestBed().start();
  try {
    seed(bed.fake);
    const account = await bed.connect({ id: SELF });
    const session = account.session as FcaSession;
    const fake = bed.fake;

    await t.step("getFriends: friends and Messenger contacts, without Pages nor id 0", async () => {
      const friends = await session.getFriends();
      const request = lastRequest(fake, "/chat/user_info_all");
      assert.equal(request.method, "POST");
      assert.equal(request.host, "www.facebook.com");
      assert.equal(request.form.viewer, SELF);
      assert.deepEqual(friends, [
        user(ALICE, "Alice Martin", "alice.martin", { firstName: "Alice", isFriend: true }),
        user(BOB, "Bob Builder", `profile.php?id=${BOB}`, { firstName: "Bob", isFriend: true }),
        user(CAROL, "Carol Nguyen", "carol.nguyen", { firstName: "Carol", isFriend: true }),
        user(DAVE, "Dave Alison", `profile.php?id=${DAVE}`, { firstName: "Dave", isFriend: false }),
      ]);
    });

    await t.step(
      "getFriends: a rate limit or an HTML page rejects; the next call works",
      async () => {
        fake.replyOnce("POST /chat/user_info_all", { body: RATE_LIMITED });
        await assertRejectsWith(session.getFriends(), "rate_limited");
        fake.replyOnce("POST /chat/user_info_all", { body: htmlErrorPage() });
        await assertRejectsWith(session.getFriends(), "internal");
        assert.equal((await session.getFriends()).length, 4);
      },
    );

    const hikingClub: ThreadInfo = {
      id: asThreadId(GROUP),
      isGroup: true,
      name: "Hiking club",
      participants: ids(SELF, ALICE, BOB),
      admins: ids(SELF),
      imageUrl: "https://scontent.fake/group-900001.jpg",
      lastActivity: 1_700_000_040_000,
      unreadCount: 2,
      isMessageRequest: false,
      users: [LISTED.self, LISTED.alice, LISTED.bob],
    };

    await t.step("getThreads: the inbox newest first, then the pending requests", async () => {
      const threads = await session.getThreads(2);
      const queries = fake.requestsTo("/api/graphqlbatch/").filter(isBatch(THREAD_LIST))
        .slice(-2).map(batchQuery);
      assert.deepEqual(queries.map((query) => query.doc_id), [
        "3336396659757871",
        "3336396659757871",
      ]);
      assert.deepEqual(queries.map((query) => query.query_params), [
        {
          limit: 2,
          before: null,
          tags: ["INBOX"],
          includeDeliveryReceipts: true,
          includeSeqID: false,
        },
        {
          limit: 2,
          before: null,
          tags: ["PENDING"],
          includeDeliveryReceipts: true,
          includeSeqID: false,
        },
      ]);
      assert.deepEqual(threads.slice(0, 2), [
        {
          id: asThreadId(ALICE),
          isGroup: false,
          name: "Alice Martin",
          participants: ids(SELF, ALICE),
          lastActivity: 1_700_000_060_000,
          // What a watchdog compares with what the listener delivered.
          lastMessage: { timestamp: 1_700_000_060_000, sender: asUserId(ALICE), snippet: "Hello" },
          unreadCount: 0,
          isMessageRequest: false,
          users: [LISTED.self, LISTED.alice],
        },
        // lastActivity is the last message's time, not the later rename.
        {
          ...hikingClub,
          lastMessage: { timestamp: 1_700_000_040_000, sender: asUserId(SELF), snippet: "Yes!" },
        },
      ]);
      assert.deepEqual(threads.slice(2).map((thread) => [thread.id, thread.isMessageRequest]), [
        [DAVE, true],
      ]);
      const all = await session.getThreads(20);
      assert.deepEqual(all.map((thread) => thread.id), [ALICE, GROUP, CAROL, DAVE]);
    });

    await t.step("getThreads: a bad limit is refused before fca sends anything", async () => {
      const before = fake.requestsTo("/api/graphqlbatch/").filter(isBatch(THREAD_LIST)).length;
      await assertRejectsWith(session.getThreads(0), "bad_request");
      assert.equal(
        fake.requestsTo("/api/graphqlbatch/").filter(isBatch(THREAD_LIST)).length,
        before,
      );
    });

    await t.step("getThreads: failed GraphQL or garbage rejects; the next call works", async () => {
      fake.replyOnce(
        "POST /api/graphqlbatch/",
        { body: graphqlBatchError("A server error field_exception occured.") },
        isBatch(THREAD_LIST),
      );
      await assertRejectsWith(session.getThreads(5), "internal");
      fake.replyOnce("POST /api/graphqlbatch/", { body: htmlErrorPage() }, isBatch(THREAD_LIST));
      await assertRejectsWith(session.getThreads(5), "internal");
      assert.equal((await session.getThreads(5)).length, 4);
      // The requests' folder failing alone still leaves the inbox.
      fake.replyOnce(
        "POST /api/graphqlbatch/",
        { body: htmlErrorPage() },
        (request) => isBatch(THREAD_LIST)(request) && request.form.queries?.includes("PENDING"),
      );
      assert.deepEqual((await session.getThreads(5)).map((thread) => thread.id), [
        ALICE,
        GROUP,
        CAROL,
      ]);
    });

    await t.step(
      "getThreadInfo: a group, and a 1:1 message request named after the other",
      async () => {
        const group = await session.getThreadInfo(asThreadId(GROUP));
        const query = batchQuery(lastRequest(fake, "/api/graphqlbatch/", isBatch(THREAD_INFO)));
        assert.equal(query.doc_id, "3449967031715030");
        assert.equal(query.query_params.id, GROUP);
        assert.equal(query.query_params.load_messages, false);
        // fca reads no last-message time here: the thread's update time stands in for it.
        // Its participants with their pictures: no getUserInfo needed for a group's members.
        assert.deepEqual(group, {
          ...hikingClub,
          lastActivity: 1_700_000_050_000,
          users: hikingClub.users!.map(told),
        });

        assert.deepEqual(await session.getThreadInfo(asThreadId(DAVE)), {
          id: asThreadId(DAVE),
          isGroup: false,
          name: "Dave Alison",
          participants: ids(SELF, DAVE),
          lastActivity: 1_700_000_070_000,
          unreadCount: 1,
          isMessageRequest: true,
          users: [told(LISTED.self), told(LISTED.dave)],
        });
      },
    );

    await t.step("getThreadInfo: a failed GraphQL batch rejects; the next call works", async () => {
      fake.replyOnce(
        "POST /api/graphqlbatch/",
        { body: graphqlBatchError("A server error field_exception occured.") },
        isBatch(THREAD_INFO),
      );
      await assertRejectsWith(session.getThreadInfo(asThreadId(GROUP)), "internal");
      assert.equal((await session.getThreadInfo(asThreadId(GROUP))).name, "Hiking club");
    });

    await t.step("getHistory: messages oldest first, events left out, a photo kept", async () => {
      const history = await session.getHistory(asThreadId(GROUP), 10);
      const query = batchQuery(lastRequest(fake, "/api/graphqlbatch/", isHistory));
      assert.deepEqual(query.query_params, {
        id: GROUP,
        message_limit: 10,
        load_messages: 1,
        load_read_receipts: false,
      });
      const thread = asThreadId(GROUP);
      assert.deepEqual(history, [
        {
          id: "mid.$g1",
          thread,
          sender: ALICE,
          text: "Saturday?",
          attachments: [],
          timestamp: 1_700_000_010_000,
        },
        {
          id: "mid.$g2",
          thread,
          sender: BOB,
          text: "",
          attachments: [{
            kind: "photo",
            url: SUMMIT_PHOTO.url,
            filename: "summit.jpg",
            width: 1024,
            height: 768,
          }],
          timestamp: 1_700_000_020_000,
        },
        {
          id: "mid.$g4",
          thread,
          sender: SELF,
          text: "Yes!",
          attachments: [],
          timestamp: 1_700_000_040_000,
        },
      ]);
    });

    await t.step("getHistory: `before` pages back (the rename takes a slot)", async () => {
      const page = await session.getHistory(asThreadId(GROUP), 2, 1_700_000_040_000);
      const query = batchQuery(lastRequest(fake, "/api/graphqlbatch/", isHistory));
      assert.equal(query.query_params.before, 1_700_000_040_000);
      assert.equal(query.query_params.message_limit, 2);
      assert.deepEqual(page.map((message) => message.id), ["mid.$g2"]);
    });

    await t.step("getHistory: a rate limit rejects as such; the next call works", async () => {
      fake.replyOnce("POST /api/graphqlbatch/", { body: RATE_LIMITED }, isHistory);
      await assertRejectsWith(session.getHistory(asThreadId(ALICE), 5), "rate_limited");
      const history = await session.getHistory(asThreadId(ALICE), 5);
      assert.deepEqual(history.map((message) => [message.id, message.text]), [
        ["mid.$a1", "Hello"],
      ]);
    });

    await t.step("searchUsers: people only, with absolute profile URLs", async () => {
      const found = await session.searchUsers("Ali");
      const request = lastRequest(fake, "/ajax/typeahead/search.php");
      assert.equal(request.method, "GET");
      assert.equal(request.form.value, "ali");
      assert.equal(request.form.viewer, SELF);
      assert.equal(request.form.context, "search");
      // Facebook also found Alice's Bakery, a Page: not a user to add or message as one.
      assert.deepEqual(found, [
        user(ALICE, "Alice Martin", "alice.martin"),
        user(DAVE, "Dave Alison", `profile.php?id=${DAVE}`),
      ]);
    });

    await t.step("searchUsers: a rate limit rejects as such; the next call works", async () => {
      fake.replyOnce("GET /ajax/typeahead/search.php", { body: RATE_LIMITED });
      await assertRejectsWith(session.searchUsers("bob"), "rate_limited");
      assert.deepEqual((await session.searchUsers("bob")).map((found) => found.id), [BOB]);
    });

    let created: ThreadId | undefined;
    const createdGroup = () => {
      assert.ok(created, "the group creation step failed");
      return created;
    };

    await t.step("createGroup: the mutation names everyone; the new id comes back", async () => {
      created = await session.createGroup(ids(ALICE, BOB), "Book club");
      const request = lastRequest(fake, "/api/graphql/");
      assert.equal(request.form.fb_api_req_friendly_name, "MessengerGroupCreateMutation");
      assert.equal(request.form.doc_id, "577041672419534");
      const input = (JSON.parse(request.form.variables ?? "{}") as {
        input: { actor_id: string; participants: unknown; thread_settings: { name: unknown } };
      }).input;
      assert.equal(input.actor_id, SELF);
      assert.deepEqual(input.participants, [{ fbid: ALICE }, { fbid: BOB }, { fbid: SELF }]);
      assert.equal(input.thread_settings.name, "Book club");
      assert.equal(fake.threads.get(created)?.name, "Book club");
      const info = await session.getThreadInfo(created);
      assert.equal(info.isGroup, true);
      assert.equal(info.name, "Book club");
      assert.deepEqual(info.participants, ids(ALICE, BOB, SELF));
    });

    await t.step(
      "createGroup: too few members is refused before fca; GraphQL errors reject",
      async () => {
        const before = fake.requestsTo("/api/graphql/").length;
        await assertRejectsWith(session.createGroup(ids(ALICE), "Duo"), "bad_request");
        assert.equal(fake.requestsTo("/api/graphql/").length, before);
        fake.replyOnce("POST /api/graphql/", {
          body: graphqlError("Please try again later.", 1675004),
        });
        await assertRejectsWith(session.createGroup(ids(ALICE, CAROL), "Later"), "internal");
        assert.equal(fake.requestsTo("/api/graphql/").length, before + 1);
      },
    );

    await t.step(
      "addToGroup: a log:subscribe send; refused where the account is no member",
      async () => {
        const group = createdGroup();
        await assertRejectsWith(
          session.addToGroup(asThreadId("900999"), asUserId(CAROL)),
          "bad_request",
        );
        await session.addToGroup(group, asUserId(CAROL));
        const request = lastRequest(fake, "/messaging/send/");
        assert.equal(request.form.log_message_type, "log:subscribe");
        assert.equal(request.form.thread_fbid, group);
        assert.equal(request.form.author, `fbid:${SELF}`);
        assert.equal(request.form["log_message_data[added_participants][0]"], `fbid:${CAROL}`);
        assert.deepEqual(
          (await session.getThreadInfo(group)).participants,
          ids(ALICE, BOB, SELF, CAROL),
        );
      },
    );

    await t.step("removeFromGroup: uid and tid; removing a non-member is refused", async () => {
      const group = createdGroup();
      await session.removeFromGroup(group, asUserId(BOB));
      const request = lastRequest(fake, "/chat/remove_participants");
      assert.equal(request.method, "POST");
      assert.equal(request.form.uid, BOB);
      assert.equal(request.form.tid, group);
      assert.deepEqual((await session.getThreadInfo(group)).participants, ids(ALICE, SELF, CAROL));
      await assertRejectsWith(session.removeFromGroup(group, asUserId(BOB)), "bad_request");
    });

    await t.step("renameGroup: set_thread_name; a rate limit rejects as such", async () => {
      const group = createdGroup();
      fake.replyOnce("POST /messaging/set_thread_name/", { body: RATE_LIMITED });
      await assertRejectsWith(session.renameGroup(group, "Too soon"), "rate_limited");
      await session.renameGroup(group, "Reading circle");
      const request = lastRequest(fake, "/messaging/set_thread_name/");
      assert.equal(request.form.thread_name, "Reading circle");
      assert.equal(request.form.thread_id, group);
      assert.equal(request.form.thread_fbid, group);
      assert.equal(request.form.log_message_type, "log:thread-name");
      assert.equal((await session.getThreadInfo(group)).name, "Reading circle");
    });

    await t.step(
      "setGroupAdmin: save_admins with thread_fbid, admin_ids and add; a non-admin is refused",
      async () => {
        const group = createdGroup();
        await session.setGroupAdmin(group, asUserId(ALICE), true);
        const made = lastRequest(fake, "/messaging/save_admins/");
        assert.equal(made.method, "POST");
        assert.equal(made.host, "www.facebook.com");
        assert.equal(made.form.dpr, "1");
        assert.equal(made.form.thread_fbid, group);
        assert.equal(made.form["admin_ids[0]"], ALICE);
        assert.equal(made.form.add, "true");
        assert.deepEqual((await session.getThreadInfo(group)).admins, ids(SELF, ALICE));
        await session.setGroupAdmin(group, asUserId(ALICE), false);
        assert.equal(lastRequest(fake, "/messaging/save_admins/").form.add, "false");
        assert.deepEqual((await session.getThreadInfo(group)).admins, ids(SELF));

        // In the Hiking club only Alice is an admin: Facebook's 1976004, in fca's words.
        const hiking = fake.threads.get(GROUP)!;
        const admins = hiking.admins;
        hiking.admins = [ALICE];
        try {
          await assertRejectsWith(
            session.setGroupAdmin(asThreadId(GROUP), asUserId(BOB), true),
            "bad_request",
            /Cannot alter admin status: you are not an admin/,
          );
          assert.deepEqual(hiking.admins, [ALICE]);
        } finally {
          hiking.admins = admins;
        }
        await assertRejectsWith(
          session.setGroupAdmin(asThreadId(ALICE), asUserId(ALICE), true),
          "bad_request",
          /not a group chat/,
        );
      },
    );

    await t.step(
      "handleMessageRequest: garbage rejects and moves nothing; accepting moves it into the inbox",
      async () => {
        fake.replyOnce("POST /ajax/mercury/move_thread.php", { body: 'for (;;);{"payload":' });
        await assertRejectsWith(session.handleMessageRequest([asThreadId(DAVE)], true), "internal");
        assert.equal((await session.getThreadInfo(asThreadId(DAVE))).isMessageRequest, true);

        await session.handleMessageRequest([asThreadId(DAVE)], true);
        const request = lastRequest(fake, "/ajax/mercury/move_thread.php");
        assert.equal(request.form.client, "mercury");
        assert.equal(request.form["inbox[0]"], DAVE);
        assert.equal((await session.getThreadInfo(asThreadId(DAVE))).isMessageRequest, false);
        const inbox = await session.getThreads(20);
        assert.deepEqual(inbox.map((thread) => thread.id), [
          createdGroup(),
          DAVE,
          ALICE,
          GROUP,
          CAROL,
        ]);
      },
    );

    await t.step("after every failure the session is still connected", () => {
      assert.equal(session.state.status, "connected");
      const lost = account.states.filter((state) =>
        state.status !== "connected" && state.status !== "connecting"
      );
      assert.deepEqual(lost, []);
    });
  } finally {
    await bed.close();
  }
});
