/**
 * The shared Messenger contract, run on the fca adapter: fca's real code in its Worker, against
 * the loopback fake Facebook (HTTP pages + MQTT-over-WebSocket edge).
 *
 * @module
 */

import { Secret } from "../../../src/secret.ts";
import { FcaNetwork } from "../../../src/messenger/fca/fca_network.ts";
import { asMessageId, asThreadId, asUserId, type MessageId } from "../../../src/messenger/ids.ts";
import { describeMessengerContract, type SentRecord } from "../_contract.ts";
import { FakeFacebook } from "./_fake_edge/fake_facebook.ts";
import { ALICE, GROUP, SELF, TEST_TIMINGS } from "./_harness.ts";

const TWO_FACTOR_USER = "100077";

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
  const network = new FcaNetwork({
    timings: TEST_TIMINGS,
    testOnly: { endpointOverride: { origin: fake.origin } },
  });
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
    },
    sent: () =>
      Promise.resolve(
        fake.requestsTo("/messaging/send/").map((request): SentRecord => {
          const record: SentRecord = {
            thread: asThreadId(request.form.other_user_fbid ?? request.form.thread_fbid ?? ""),
            text: request.form.body ?? "",
          };
          const replyTo = request.form.replied_to_message_id;
          if (replyTo !== undefined && replyTo !== "") record.replyTo = asMessageId(replyTo);
          return record;
        }),
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
      await network.close();
      await fake.close();
    },
  };
});
