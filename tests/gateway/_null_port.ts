/**
 * An {@link XmppPort} that does nothing: test ports extend it and override what they observe,
 * so adding a method to the port touches one test file.
 *
 * @module
 */

import type {
  Chat,
  ChatMessage,
  ContactCard,
  MessageFailure,
  PresenceState,
  RoomCard,
  RoomChange,
  Speaker,
  XmppPort,
} from "../../src/gateway/xmpp_port.ts";
import type { UserId } from "../../src/messenger/ids.ts";

/** The test domain contact addresses are made under. */
export const NULL_PORT_DOMAIN = "facebook.example.org";

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
  contactAddress(contact: UserId): string {
    return `${contact}@${NULL_PORT_DOMAIN}`;
  }
  whenOnline(_timeoutMs: number): Promise<boolean> {
    return Promise.resolve(true);
  }
  message(_chat: Chat, _speaker: Speaker, message: ChatMessage): Promise<string[]> {
    return Promise.resolve([message.id]);
  }
  reaction(_chat: Chat, _speaker: Speaker, _target: string, _emojis: string[]): Promise<void> {
    return Promise.resolve();
  }
  retraction(_chat: Chat, _speaker: Speaker, _target: string): Promise<void> {
    return Promise.resolve();
  }
  displayed(_chat: Chat, _speaker: Speaker, _target: string): Promise<void> {
    return Promise.resolve();
  }
  chatState(_chat: Chat, _speaker: Speaker, _state: "composing" | "paused"): Promise<void> {
    return Promise.resolve();
  }
  messageDelivered(_chat: Chat, _id: string): Promise<void> {
    return Promise.resolve();
  }
  messageFailed(_client: string, _chat: Chat, _id: string | undefined, _f: MessageFailure) {
    return Promise.resolve();
  }
  roomChanged(_chat: Chat, _change: RoomChange): Promise<void> {
    return Promise.resolve();
  }
  bookmarkRooms(_user: string, _rooms: RoomCard[]): Promise<void> {
    return Promise.resolve();
  }
}
