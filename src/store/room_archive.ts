// TEMPORARY STUB (not committed): replaced by the archive from branch `mam`.
import type { Attachment, Mention } from "../messenger/events.ts";
import type { WriteBatcher } from "./write_batcher.ts";

export interface ArchivedMessage {
  id: string;
  timestamp: number;
  actor: string;
  nick: string;
  fromSelf: boolean;
  originId?: string;
  text: string;
  attachments: Attachment[];
  replyTo?: { id: string; nick?: string; text?: string };
  mentions?: Mention[];
  retracted?: boolean;
}

export interface ArchiveQuery {
  withNick?: string;
  start?: number;
  end?: number;
  afterId?: string;
  beforeId?: string;
  ids?: string[];
  max: number;
  after?: string;
  before?: string;
  flip?: boolean;
}

export interface ArchivePage {
  messages: ArchivedMessage[];
  complete: boolean;
  first?: string;
  last?: string;
  count: number;
}

export class RoomArchive {
  #messages: ArchivedMessage[] = [];
  #backfilled = false;
  constructor(
    _kv: Deno.Kv,
    _batcher: WriteBatcher,
    _user: string,
    _thread: string,
    _options: { retentionDays: number; now?: () => number },
  ) {}
  append(message: ArchivedMessage): void {
    const index = this.#messages.findIndex((m) => m.id === message.id);
    if (index >= 0) this.#messages[index] = message;
    else this.#messages.push(message);
  }
  update(id: string, patch: Partial<ArchivedMessage>): void {
    const index = this.#messages.findIndex((m) => m.id === id);
    if (index >= 0) this.#messages[index] = { ...this.#messages[index], ...patch };
  }
  get(id: string): Promise<ArchivedMessage | null> {
    return Promise.resolve(this.#messages.find((m) => m.id === id) ?? null);
  }
  recent(limit: number, _options: { maxChars?: number; sinceMs?: number } = {}) {
    return Promise.resolve(this.#messages.slice(-limit));
  }
  query(q: ArchiveQuery): Promise<ArchivePage> {
    const messages = this.#messages.slice(0, q.max);
    return Promise.resolve({
      messages,
      complete: messages.length === this.#messages.length,
      count: this.#messages.length,
    });
  }
  count(): Promise<number> {
    return Promise.resolve(this.#messages.length);
  }
  isBackfilled(): Promise<boolean> {
    return Promise.resolve(this.#backfilled);
  }
  markBackfilled(): void {
    this.#backfilled = true;
  }
}
