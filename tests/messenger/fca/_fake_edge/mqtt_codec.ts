/**
 * The slice of MQTT 3.1 ("MQIsdp") that Messenger's edge speaks with fca, for the fake broker.
 *
 * Decodes what fca's MQTT client sends (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PUBLISH, PINGREQ,
 * DISCONNECT), buffering across websocket frames, and encodes what a broker answers.
 *
 * @module
 */

/** A packet from the client. */
export type ClientPacket =
  | {
    type: "connect";
    protocolName: string;
    protocolLevel: number;
    clientId: string;
    username?: string;
  }
  | { type: "publish"; topic: string; payload: Uint8Array; qos: number; messageId?: number }
  | { type: "subscribe"; messageId: number; topics: { topic: string; qos: number }[] }
  | { type: "unsubscribe"; messageId: number; topics: string[] }
  | { type: "puback"; messageId: number }
  | { type: "pingreq" }
  | { type: "disconnect" }
  | { type: "other"; code: number };

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Accumulates bytes and yields whole packets. */
export class MqttParser {
  #buffer = new Uint8Array(0);

  /** Adds received bytes; returns the packets now complete. */
  push(bytes: Uint8Array): ClientPacket[] {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
    const packets: ClientPacket[] = [];
    while (true) {
      const header = readFixedHeader(this.#buffer);
      if (header === undefined) break;
      const end = header.bodyStart + header.length;
      if (this.#buffer.length < end) break;
      packets.push(decodePacket(header.first, this.#buffer.subarray(header.bodyStart, end)));
      this.#buffer = this.#buffer.slice(end);
    }
    return packets;
  }
}

function readFixedHeader(bytes: Uint8Array) {
  if (bytes.length < 2) return undefined;
  let length = 0;
  let multiplier = 1;
  let index = 1;
  while (true) {
    if (index >= bytes.length) return undefined;
    const byte = bytes[index++];
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) break;
    multiplier *= 128;
    if (index > 4) throw new Error("Malformed MQTT remaining length");
  }
  return { first: bytes[0], length, bodyStart: index };
}

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    return this.bytes[this.offset++];
  }
  uint16(): number {
    const value = (this.bytes[this.offset] << 8) | this.bytes[this.offset + 1];
    this.offset += 2;
    return value;
  }
  string(): string {
    const length = this.uint16();
    const value = decoder.decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
}

function decodePacket(first: number, body: Uint8Array): ClientPacket {
  const code = first >> 4;
  const reader = new Reader(body);
  switch (code) {
    case 1: {
      const protocolName = reader.string();
      const protocolLevel = reader.byte();
      const flags = reader.byte();
      reader.uint16(); // keepalive
      const clientId = reader.string();
      if (flags & 0x04) {
        reader.string(); // will topic
        reader.string(); // will message
      }
      const packet: ClientPacket = { type: "connect", protocolName, protocolLevel, clientId };
      if (flags & 0x80) packet.username = reader.string();
      return packet;
    }
    case 3: {
      const qos = (first >> 1) & 0x03;
      const topic = reader.string();
      const messageId = qos > 0 ? reader.uint16() : undefined;
      const payload = body.slice(reader.offset);
      return messageId === undefined
        ? { type: "publish", topic, payload, qos }
        : { type: "publish", topic, payload, qos, messageId };
    }
    case 4:
      return { type: "puback", messageId: reader.uint16() };
    case 8: {
      const messageId = reader.uint16();
      const topics: { topic: string; qos: number }[] = [];
      while (reader.remaining > 0) topics.push({ topic: reader.string(), qos: reader.byte() });
      return { type: "subscribe", messageId, topics };
    }
    case 10: {
      const messageId = reader.uint16();
      const topics: string[] = [];
      while (reader.remaining > 0) topics.push(reader.string());
      return { type: "unsubscribe", messageId, topics };
    }
    case 12:
      return { type: "pingreq" };
    case 14:
      return { type: "disconnect" };
    default:
      return { type: "other", code };
  }
}

function packet(first: number, body: Uint8Array): Uint8Array {
  const length: number[] = [];
  let remaining = body.length;
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    length.push(byte);
  } while (remaining > 0);
  const out = new Uint8Array(1 + length.length + body.length);
  out[0] = first;
  out.set(length, 1);
  out.set(body, 1 + length.length);
  return out;
}

function uint16(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}

/** CONNACK "accepted". */
export function encodeConnack(): Uint8Array {
  return packet(0x20, new Uint8Array([0, 0]));
}

/** SUBACK granting each requested QoS. */
export function encodeSuback(messageId: number, qos: number[]): Uint8Array {
  return packet(0x90, new Uint8Array([...uint16(messageId), ...qos]));
}

/** UNSUBACK. */
export function encodeUnsuback(messageId: number): Uint8Array {
  return packet(0xb0, new Uint8Array(uint16(messageId)));
}

/** PUBACK. */
export function encodePuback(messageId: number): Uint8Array {
  return packet(0x40, new Uint8Array(uint16(messageId)));
}

/** PINGRESP. */
export function encodePingresp(): Uint8Array {
  return packet(0xd0, new Uint8Array(0));
}

/** A QoS 0 PUBLISH. */
export function encodePublish(topic: string, payload: string | Uint8Array): Uint8Array {
  const topicBytes = encoder.encode(topic);
  const payloadBytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  const body = new Uint8Array(2 + topicBytes.length + payloadBytes.length);
  body.set(uint16(topicBytes.length));
  body.set(topicBytes, 2);
  body.set(payloadBytes, 2 + topicBytes.length);
  return packet(0x30, body);
}
