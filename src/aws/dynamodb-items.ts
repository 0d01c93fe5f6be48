import type { AuditEntry } from "../store/records.js";

/**
 * The record store on DynamoDB, for several replicas: one table, single-table design.
 *
 *   pk              sk                what
 *   <kind>          <record id>       a record: `version` (the condition of every write), `created`
 *                                     (the commit's time, for oldest-first lists), `body` (its JSON)
 *   audit           <seq, 16 digits>  an audit entry (`body`), numbered from the `counter` item
 *   counter         audit             the last audit number handed out (`n`)
 *   billing         <YYYY-MM>         invalidation paths billed that month (`n`)
 *   trigger         <trigger id>      a claimed Slack trigger id, until `until`; `expires` is the TTL
 *   lease           <name>            who holds a lease (`holder`) and until when (`until`)
 *   archived#<kind> <record id>       a finished record (`body`), kept until `expires` (the TTL)
 *
 * A commit is one TransactWriteItems: every record write is conditional on the version it names, and
 * the audit entries and the month's count land with them or not at all. Audit numbers are reserved
 * before the transaction (an atomic counter), so a transaction that fails leaves a gap, never a
 * duplicate: entries are ordered, not contiguous. Records are stored as JSON text: DynamoDB's own
 * types would refuse the empty strings and sparse objects a record may hold.
 */

export const KEY_SCHEMA = { pk: "pk", sk: "sk" } as const;
/** DynamoDB's limit on the items of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

export type Item = Record<string, unknown> & { pk: string; sk: string };

export const archivedPk = (kind: string) => `archived#${kind}`;

const seqKey = (seq: number) => String(seq).padStart(16, "0");

/** The items of the table, built in one place (the store and `npm run migrate` both write them). */
export const tableItems = {
  record: (kind: string, record: { id: string; version: number }, created: number): Item => ({
    pk: kind,
    sk: record.id,
    version: record.version,
    created,
    body: JSON.stringify(record),
  }),
  archived: (kind: string, record: { id: string }, expiresAt: number): Item => ({
    pk: archivedPk(kind),
    sk: record.id,
    body: JSON.stringify(record),
    expires: Math.ceil(expiresAt / 1000),
  }),
  audit: (entry: AuditEntry): Item => ({ pk: "audit", sk: seqKey(entry.seq), body: JSON.stringify(entry) }),
  auditCounter: { pk: "counter", sk: "audit" },
  billing: (month: string) => ({ pk: "billing", sk: month }),
};
