/**
 * What the gateway cannot bridge, said the same way everywhere users meet it (the welcome
 * message, the `info` command, the user guide): Messenger encrypts 1:1 chats end to end by default
 * since December 2023, and no Messenger library the gateway can use reads those, so such a chat
 * looks empty from XMPP. Saying so plainly beats a contact that seems silent.
 *
 * @module
 */

/** One sentence: what is not bridged, and what the user can do. */
export const NOT_BRIDGED =
  "End-to-end-encrypted Messenger chats (the default for 1:1 chats since December 2023) cannot " +
  "be bridged: their messages never reach the gateway. Group chats and older non-encrypted chats " +
  "are bridged; ask a contact to write in a non-encrypted chat or a group if you miss their messages.";
