/**
 * The shared Messenger contract, run on the simulated network.
 *
 * @module
 */

import { Secret } from "../../../src/secret.ts";
import { asMessageId } from "../../../src/messenger/ids.ts";
import { describeMessengerContract, type SentRecord } from "../_contract.ts";
import { ALICE, BOB, HIKING, testNetwork } from "./_world.ts";

describeMessengerContract("simulated network", () => {
  const network = testNetwork();
  const injectFromBob = async (event: Parameters<typeof network.control.inject>[1]) => {
    const [created] = await network.control.inject(ALICE, event);
    return created;
  };
  return Promise.resolve({
    network,
    credentials: {
      kind: "password",
      email: "alice@example.com",
      password: new Secret("correct horse"),
    },
    account: ALICE,
    badCredentials: {
      kind: "password",
      email: "alice@example.com",
      password: new Secret("wrong horse"),
    },
    friend: BOB,
    remote: {
      sendMessage: async (text) => {
        const event = await injectFromBob({ type: "message", sender: BOB, text });
        if (event?.type !== "message") throw new Error("the injection created no message");
        return event.id;
      },
      react: async (message, reaction) => {
        await injectFromBob({ type: "reaction", reactor: BOB, messageId: message, reaction });
      },
      unsend: async (message) => {
        await injectFromBob({ type: "unsend", sender: BOB, messageId: message });
      },
      redeliver: async (message) => {
        await network.control.redeliver(ALICE, message);
      },
      group: HIKING,
      sendGroupMessage: async (text) => {
        const event = await injectFromBob({ type: "message", sender: BOB, thread: HIKING, text });
        if (event?.type !== "message") throw new Error("the injection created no message");
        return event.id;
      },
      reactInGroup: async (message, reaction) => {
        await injectFromBob({ type: "reaction", reactor: BOB, messageId: message, reaction });
      },
      typeInGroup: async () => {
        await injectFromBob({ type: "typing", user: BOB, thread: HIKING });
      },
      setFriendAdmin: async (admin) => {
        await network.control.inject(ALICE, {
          type: "admins_changed",
          author: ALICE,
          thread: HIKING,
          user: BOB,
          admin,
        });
      },
    },
    sent: () =>
      Promise.resolve(
        network.control.operations(ALICE).operations.flatMap((operation): SentRecord[] =>
          operation.method === "sendMessage" && operation.error === undefined
            ? [{
              thread: operation.thread,
              text: operation.text,
              ...(operation.replyTo === undefined
                ? {}
                : { replyTo: asMessageId(operation.replyTo) }),
            }]
            : []
        ),
      ),
    twoFactor: {
      credentials: {
        kind: "password",
        email: "carol@example.com",
        password: new Secret("battery staple"),
      },
      code: "654321",
    },
    close: () => network.close(),
  });
});
