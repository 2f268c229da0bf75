import {
  EventBodySchema,
  parseFast,
  type EventBody,
  type ThreadEvent,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import type { AppendItem, AppendResult, LinkReceipt, OutboundEntry } from './store.js';
import { withStoreFields } from './stored-event.js';

/** A row of the outbound table as a batch writes it. */
export interface OutboundRow {
  runtime_id: string;
  seq: number;
  message: string;
}

/** A row of the events table as a batch writes it. */
export interface EventRow {
  thread_id: string;
  seq: number;
  kind: string;
  body: string;
  client_id: string | null;
  created_at: string;
}

/**
 * The key that makes an event unique in its thread (stored as its `client_id`), or null: a user
 * message's client id (so a retry is stored once), and a permission request's id for its
 * request and its answer (so the first answer is the only one stored). The prefixes hold a `:`,
 * which client ids cannot (`SendMessageRequestSchema`), so the kinds never collide.
 */
export function uniqueKeyOf(body: EventBody): string | null {
  switch (body.kind) {
    case 'message.user':
      return body.clientId;
    case 'permission.request':
      return permissionRequestKey(body.requestId);
    case 'permission.answer':
      return permissionAnswerKey(body.requestId);
    default:
      return null;
  }
}

/** The unique key of a thread's permission request `requestId`. */
export const permissionRequestKey = (requestId: string) => `permission.request:${requestId}`;
/** The unique key of the answer to a thread's permission request `requestId`. */
export const permissionAnswerKey = (requestId: string) => `permission.answer:${requestId}`;

/**
 * The store-independent part of appending a batch of events to a thread: validating the bodies,
 * working out which events repeat a unique key (`uniqueKeyOf`: already stored, or earlier in the batch),
 * numbering the new ones, and answering each item in order. Each store runs it in its own
 * transaction with its own queries.
 */
export class AppendBatch {
  private readonly bodies: EventBody[];
  /** Per item: the stored event it repeats, the index of the item it repeats, or 'new'. */
  private outcome: Array<ThreadEvent | number | 'new'> = [];

  constructor(
    readonly threadId: string,
    private readonly items: readonly AppendItem[],
    /** When the events were made, if the caller says (else at the commit). */
    readonly at?: string,
  ) {
    this.bodies = items.map((item) => parseFast(EventBodySchema, item.body));
  }

  /** The unique keys of the batch's events, to look up among the stored events' client ids. */
  clientIds(): string[] {
    return [...new Set(this.bodies.flatMap((b) => uniqueKeyOf(b) ?? []))];
  }

  /** Decides each item given the stored events with those keys; returns how many are new. */
  plan(stored: ReadonlyMap<string, ThreadEvent>): number {
    const firstUse = new Map<string, number>();
    this.outcome = this.bodies.map((body, index) => {
      const key = uniqueKeyOf(body);
      if (key === null) return 'new';
      const existing = stored.get(key);
      if (existing) return existing;
      const earlier = firstUse.get(key);
      if (earlier !== undefined) return earlier;
      firstUse.set(key, index);
      return 'new';
    });
    return this.outcome.filter((o) => o === 'new').length;
  }

  /** The rows of the new events, numbered from `first`. */
  rows(first: number, at: string): EventRow[] {
    let seq = first;
    return this.bodies.flatMap((body, index) =>
      this.outcome[index] === 'new'
        ? [
            {
              thread_id: this.threadId,
              seq: seq++,
              kind: body.kind,
              body: JSON.stringify(body),
              client_id: uniqueKeyOf(body),
              created_at: at,
            },
          ]
        : [],
    );
  }

  /** The newest link receipt among the items, stored with the batch. */
  latestReceipt(): LinkReceipt | null {
    let latest: LinkReceipt | null = null;
    for (const item of this.items)
      if (item.receipt && (!latest || item.receipt.seq > latest.seq)) latest = item.receipt;
    return latest;
  }

  /** The runtime the thread moves to with this batch, if an item moves it. */
  moveTo(): string | null {
    return this.items.findLast((item) => item.moveTo !== undefined)?.moveTo ?? null;
  }

  /** The outbound messages of the new events among `results` (this batch's, in order). */
  outboundRows(results: readonly AppendResult[]): OutboundRow[] {
    return this.items.flatMap((item, index) => {
      const result = results[index]!;
      if (!item.outbound || !result.created) return [];
      const { runtimeId, seq, message, followedBy = [] } = item.outbound;
      return [message(result.event), ...followedBy].map((each, index) => ({
        runtime_id: runtimeId,
        seq: seq + index,
        message: JSON.stringify(each),
      }));
    });
  }

  /** The kept messages that the new events among `results` replace, per runtime (`rewriteOutbound`). */
  outboundRewrites(results: readonly AppendResult[]): Array<[string, readonly OutboundEntry[]]> {
    return this.items.flatMap((item, index) =>
      item.rewriteOutbound && results[index]!.created
        ? [[item.rewriteOutbound.runtimeId, item.rewriteOutbound.entries] as [string, readonly OutboundEntry[]]]
        : [],
    );
  }

  /** The handed-off messages of the new events among `results` (this batch's, in order), per runtime. */
  handoffs(results: readonly AppendResult[]): Array<[string, ToRuntimeMessage]> {
    return this.items.flatMap((item, index) => {
      const result = results[index]!;
      if (!item.handoff || !result.created) return [];
      const { runtimeId, message, followedBy = [] } = item.handoff;
      return [message(result.event), ...followedBy].map((each) => [runtimeId, each] as [string, ToRuntimeMessage]);
    });
  }

  /** One answer per item, in order, once the new events were stored from seq `first`. */
  results(first: number, at: string): AppendResult[] {
    let seq = first;
    const results: AppendResult[] = [];
    for (const [index, body] of this.bodies.entries()) {
      const outcome = this.outcome[index]!;
      if (outcome === 'new') results.push({ event: withStoreFields(body, this.threadId, seq++, at), created: true });
      else if (typeof outcome === 'number') results.push({ event: results[outcome]!.event, created: false });
      else results.push({ event: outcome, created: false });
    }
    return results;
  }
}
