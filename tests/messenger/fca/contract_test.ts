/**
 * The shared Messenger contract, run on the fca adapter: fca's real code in a Worker, against
 * the loopback fake Facebook (HTTP pages + MQTT-over-WebSocket edge).
 *
 * In the shared mode (the default number of accounts per Worker): a bystander account logs in
 * first and listens throughout, so every session of the suite shares its Worker with it. At the
 * end of each test the bystander must still be connected, have heard nothing, and have sent
 * nothing but its own login and listener requests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Secret } from "../../../src/secret.ts";
import { FcaNetwork } from "../../../src/messenger/fca/fca_network.ts";
import { asMessageId, asThreadId, asUserId, type MessageId } from "../../../src/messenger/ids.ts";
import { describeMessengerContract, type SentRecord } from "../_contract.ts";
import { FakeFacebook } from "./_fake_edge/fake_facebook.ts";
import { adminChangeDelta } from "./_fake_edge/graph.ts";
import { ALICE, GROUP, record, SELF, TEST_TIMINGS, waitFor } from "./_harness.ts";

const TWO_FACTOR_USER = "100077";
const BYSTANDER = "100055";

/** A NewMessage delta from the friend in their 1:1 thread. */
function friendMessage(id: string, text: string): Record<string, unknown> {
  return {
    class: "NewMessage",
    attachments: [],
    body: text,
    messageMetadata: {
      actorFbId: ALICE,
      messageId: id,
      offlineThreadingId: id.replace(/\D/g, ""),
      tags: [],
      threadKey: { otherUserFbId: ALICE },
      timestamp: String(Date.now()),
    },
  };
}

/** A NewMessage delta from the friend in the group they share with the account. */
function groupMessage(id: string, text: string): Record<string, unknown> {
  const delta = friendMessage(id, text);
  (delta.messageMetadata as Record<string, unknown>).threadKey = { threadFbId: GROUP };
  return delta;
}

/** A ClientPayload delta, as Facebook sends it: the JSON as an array of UTF-8 bytes. */
function clientPayload(delta: Record<string, unknown>): Record<string, unknown> {
  const bytes = new TextEncoder().encode(JSON.stringify({ deltas: [delta] }));
  return { class: "ClientPayload", payload: Array.from(bytes) };
}

describeMessengerContract("fca adapter", async () => {
  const fake = new FakeFacebook();
  await fake.start();
  const cookies = fake.addAccount({ id: SELF, xs: "contract-xs-secret" });
  fake.addAccount({
    id: TWO_FACTOR_USER,
    xs: "contract-2fa-xs",
    email: "carol@example.org",
    password: "battery staple",
    twoFactorCode: "654321",
  });
  // The group the account shares with the friend, the account its admin (for setGroupAdmin).
  fake.threads.set(GROUP, {
    id: GROUP,
    isGroup: true,
    participants: [SELF, ALICE],
    admins: [SELF],
    updatedAt: 1_700_000_000_000,
  });
  const network = new FcaNetwork({
    timings: TEST_TIMINGS,
    testOnly: { endpointOverride: { origin: fake.origin } },
  });
  const bystanderLogin = await network.login({
    kind: "cookies",
    cookies: fake.addAccount({ id: BYSTANDER, xs: "contract-bystander-xs" }),
  });
  if (bystanderLogin.kind !== "logged_in") throw new Error("The bystander asked for 2FA");
  const bystander = record(bystanderLogin.session);
  await bystander.session.listen();
  await waitFor("the bystander to connect", () => bystander.session.state.status === "connected");
  const texts = new Map<MessageId, string>();
  let next = 1;
  const publish = (delta: Record<string, unknown>) => {
    fake.publishDeltas(SELF, [delta]);
    return Promise.resolve();
  };
  return {
    network,
    credentials: { kind: "cookies", cookies },
    account: asUserId(SELF),
    badCredentials: {
      kind: "cookies",
      cookies: cookies.map((cookie) =>
        cookie.key === "xs" ? { ...cookie, value: "stale" } : cookie
      ),
    },
    friend: asUserId(ALICE),
    remote: {
      sendMessage: async (text) => {
        const id = asMessageId(`mid.$contract${next++}`);
        texts.set(id, text);
        await publish(friendMessage(id, text));
        return id;
      },
      react: (message, reaction) =>
        publish(clientPayload({
          deltaMessageReaction: {
            threadKey: { otherUserFbId: Number(ALICE) },
            messageId: message,
            action: reaction === "" ? 1 : 0,
            userId: Number(ALICE),
            senderId: Number(SELF),
            ...(reaction === "" ? {} : { reaction }),
          },
        })),
      unsend: (message) =>
        publish(clientPayload({
          deltaRecallMessageData: {
            threadKey: { otherUserFbId: Number(ALICE) },
            messageID: message,
            deletionTimestamp: Date.now(),
            senderID: Number(ALICE),
            timestamp: Date.now() - 1_000,
          },
        })),
      redeliver: (message) => publish(friendMessage(message, texts.get(message) ?? "")),
      group: asThreadId(GROUP),
      sendGroupMessage: async (text) => {
        const id = asMessageId(`mid.$contract${next++}`);
        await publish(groupMessage(id, text));
        return id;
      },
      reactInGroup: (message, reaction) =>
        publish(clientPayload({
          deltaMessageReaction: {
            threadKey: { threadFbId: Number(GROUP) },
            messageId: message,
            action: 0,
            userId: Number(ALICE),
            senderId: Number(ALICE),
            reaction,
          },
        })),
      typeInGroup: () => {
        fake.publish(SELF, "/thread_typing", {
          sender_fbid: Number(ALICE),
          state: 1,
          thread: GROUP,
        });
        return Promise.resolve();
      },
      setFriendAdmin: (admin) =>
        publish(adminChangeDelta({
          actor: SELF,
          target: ALICE,
          thread: GROUP,
          add: admin,
          messageId: `mid.$contract${next++}`,
          timestamp: Date.now(),
        })),
    },
    sent: () =>
      Promise.resolve(
        fake.requestsTo("/messaging/send/").filter((request) => request.user === SELF).map(
          (request): SentRecord => {
            const record: SentRecord = {
              thread: asThreadId(request.form.other_user_fbid ?? request.form.thread_fbid ?? ""),
              text: request.form.body ?? "",
            };
            const replyTo = request.form.replied_to_message_id;
            if (replyTo !== undefined && replyTo !== "") record.replyTo = asMessageId(replyTo);
            return record;
          },
        ),
      ),
    twoFactor: {
      credentials: {
        kind: "password",
        email: "carol@example.org",
        password: new Secret("battery staple"),
      },
      code: "654321",
    },
    close: async () => {
      try {
        assert.equal(network.workers, 1, "every session shared the bystander's Worker");
        assert.deepEqual(bystander.remote(), [], "the bystander heard nothing");
        assert.deepEqual(bystander.states.map((state) => state.status), ["connected"]);
        const own = ["/", "/api/graphqlbatch/", "/ajax/mercury/delivery_receipts.php"];
        const sent = fake.requests.filter((request) => request.user === BYSTANDER);
        assert.deepEqual(sent.filter((request) => !own.includes(request.path)), []);
      } finally {
        await network.close();
        await fake.close();
      }
    },
  };
});
