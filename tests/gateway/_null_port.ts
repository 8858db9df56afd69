/**
 * An {@link XmppPort} that does nothing: test ports extend it and override what they observe,
 * so adding a method to the port touches one test file.
 *
 * @module
 */

import type {
  ContactCard,
  ContactMessage,
  MessageFailure,
  OwnActivity,
  PresenceState,
  XmppPort,
} from "../../src/gateway/xmpp_port.ts";
import type { UserId } from "../../src/messenger/ids.ts";

/** Accepts every call and does nothing. */
export class NullXmppPort implements XmppPort {
  gatewayPresence(_user: string, _presence: PresenceState): Promise<void> {
    return Promise.resolve();
  }
  gatewayMessage(_user: string, _text: string): Promise<void> {
    return Promise.resolve();
  }
  contactPresence(_user: string, _contact: UserId, _presence: PresenceState): Promise<void> {
    return Promise.resolve();
  }
  addContacts(_user: string, _contacts: ContactCard[]): Promise<void> {
    return Promise.resolve();
  }
  removeContacts(_user: string, _contacts: UserId[]): Promise<void> {
    return Promise.resolve();
  }
  whenOnline(_timeoutMs: number): Promise<boolean> {
    return Promise.resolve(true);
  }
  contactMessage(_user: string, _contact: UserId, message: ContactMessage): Promise<string[]> {
    return Promise.resolve([message.id]);
  }
  contactReaction(_user: string, _contact: UserId, _target: string, _emojis: string[]) {
    return Promise.resolve();
  }
  contactRetraction(_user: string, _contact: UserId, _target: string): Promise<void> {
    return Promise.resolve();
  }
  contactDisplayed(_user: string, _contact: UserId, _target: string): Promise<void> {
    return Promise.resolve();
  }
  contactChatState(_user: string, _contact: UserId, _state: "composing" | "paused") {
    return Promise.resolve();
  }
  messageDelivered(_user: string, _contact: UserId, _id: string): Promise<void> {
    return Promise.resolve();
  }
  messageFailed(_user: string, _contact: UserId, _id: string | undefined, _f: MessageFailure) {
    return Promise.resolve();
  }
  ownActivity(_user: string, _contact: UserId, _activity: OwnActivity): Promise<void> {
    return Promise.resolve();
  }
}
