import { purgeNoteText } from "../../src/messages/purge-messages.js";
import type { PurgeAnnouncer } from "../../src/purge/purge-announcer.js";
import type { PurgeBatch, PurgeOperation } from "../../src/store/records.js";

export function aPurge(overrides: Partial<PurgeOperation> = {}): PurgeOperation {
  const id = overrides.id ?? "op-1";
  return {
    version: 0,
    id,
    kind: "purge",
    alias: "web",
    distributionId: "E2EXAMPLE123",
    paths: ["/index.html"],
    requestedBy: { userId: "U0001", teamId: "T0001" },
    channelId: "C0001",
    messageTs: "1700000000.000100",
    state: "requested",
    requestedAt: 1_700_000_000_000,
    notes: [],
    told: [],
    announced: { created: false, final: false },
    ...overrides,
  };
}

/** A batch whose invalidation CloudFront is working on, created at `at`. */
export function anInFlightBatch(
  id: string,
  invalidationId: string,
  at: number,
  overrides: Partial<PurgeBatch> = {},
): PurgeBatch {
  return {
    version: 0,
    id,
    distributionId: "E2EXAMPLE123",
    operationIds: [`op-${id}`],
    paths: ["/a"],
    callerReference: `cdnbot-${id}`,
    state: "in-progress",
    openedAt: at,
    sendAt: at,
    attempts: 1,
    invalidationId,
    createdAt: at,
    ...overrides,
  };
}

export type Announcement = {
  kind: keyof PurgeAnnouncer;
  opId: string;
  state: PurgeOperation["state"];
  note?: string;
};

/** An announcer that records what the thread would be told. */
export function recordingAnnouncer(): PurgeAnnouncer & {
  said: Announcement[];
  failNext?: keyof PurgeAnnouncer;
} {
  const said: Announcement[] = [];
  const self: PurgeAnnouncer & { said: Announcement[]; failNext?: keyof PurgeAnnouncer } = {
    said,
    async postParent(op) {
      record("postParent", op);
      return `ts-${op.id}`;
    },
    async refreshParent(op) {
      record("refreshParent", op);
    },
    async replyCreated(op) {
      record("replyCreated", op);
    },
    async replyFinal(op) {
      record("replyFinal", op);
    },
    async replyNote(op, note) {
      record("replyNote", op, purgeNoteText(note));
    },
    async tellRequester(op, text) {
      record("tellRequester", op, text);
    },
    // As Slack would answer: what was posted (and so recorded here) is found again.
    async findPosted(op, which) {
      const kind = which === "parent" ? "postParent" : "replyFinal";
      return said.some((s) => s.kind === kind && s.opId === op.id) ? `ts-${op.id}` : undefined;
    },
  };
  function record(kind: keyof PurgeAnnouncer, op: PurgeOperation, note?: string) {
    if (self.failNext === kind) {
      self.failNext = undefined;
      throw new Error(`slack said no to ${kind}`);
    }
    said.push({ kind, opId: op.id, state: op.state, ...(note ? { note } : {}) });
  }
  return self;
}
