/**
 * CloudFront's access log lines in the W3C format, legacy standard logging's (tab-separated, after
 * `#Version` and `#Fields` lines) and logging v2's W3C output alike (and v2's JSON, a line an object): the `#Fields` line names the
 * columns, so a file with fewer, more or reordered fields reads the same. Values are as CloudFront
 * writes them (`-` for none; the user agent and query URL-encoded).
 */
export type AccessLogRecord = {
  /** Epoch ms, from `date` and `time` (UTC). */
  at: number;
  edge: string;
  clientIp: string;
  method: string;
  path: string;
  status: number;
  /** Bytes sent to the viewer. */
  bytes: number;
  /** Hit, RefreshHit, Miss, Error, … (`x-edge-result-type`). */
  result: string;
  userAgent: string;
  /** Seconds from the request's arrival to the response's last byte (`time-taken`). */
  timeTaken: number;
};

/** The column each field of the record is read from, as CloudFront names it. */
const COLUMNS = {
  date: "date",
  time: "time",
  edge: "x-edge-location",
  clientIp: "c-ip",
  method: "cs-method",
  path: "cs-uri-stem",
  status: "sc-status",
  bytes: "sc-bytes",
  result: "x-edge-result-type",
  userAgent: "cs(User-Agent)",
  timeTaken: "time-taken",
} as const;

/** CloudFront's legacy field order, for a file (or a v2 delivery) without a `#Fields` line. */
export const LEGACY_FIELDS = [
  "date",
  "time",
  "x-edge-location",
  "sc-bytes",
  "c-ip",
  "cs-method",
  "cs(Host)",
  "cs-uri-stem",
  "sc-status",
  "cs(Referer)",
  "cs(User-Agent)",
  "cs-uri-query",
  "cs(Cookie)",
  "x-edge-result-type",
  "x-edge-request-id",
  "x-host-header",
  "cs-protocol",
  "cs-bytes",
  "time-taken",
];

type Column = keyof typeof COLUMNS;
const COLUMN_NAMES = Object.keys(COLUMNS) as Column[];

/**
 * Reads one file's lines in order: `#Fields` sets the columns; other `#` lines and blanks are skipped.
 * It runs for every line of gigabytes of logs: the columns are looked up once per `#Fields`, a day's
 * midnight once per date, and a user agent decoded once per distinct value (from a bounded cache).
 */
export class AccessLogReader {
  private columns = positionsOf(LEGACY_FIELDS);
  private lastDate = "";
  private lastMidnight = Number.NaN;
  private readonly agents = new Map<string, string>();
  /** Lines that could not be read (too few columns, a date that is not one). */
  malformed = 0;

  read(line: string): AccessLogRecord | undefined {
    if (line === "") return undefined;
    const first = line.charCodeAt(0);
    if (first === 35 /* # */) {
      const fields = /^#Fields:\s*(.*)$/.exec(line)?.[1];
      if (fields) this.columns = positionsOf(fields.trim().split(/\s+/));
      return undefined;
    }
    if (first === 123 /* { */) return this.fromCells(jsonCells(line), JSON_POSITIONS);
    return this.fromCells(cutColumns(line, this.columns), this.columns);
  }

  private fromCells(cells: readonly (string | undefined)[], c: Positions): AccessLogRecord | undefined {
    const at = this.moment(pick(cells, c.date), pick(cells, c.time));
    const status = Number(pick(cells, c.status));
    if (Number.isNaN(at) || !Number.isInteger(status)) {
      this.malformed++;
      return undefined;
    }
    return {
      at,
      edge: pick(cells, c.edge) ?? "-",
      clientIp: pick(cells, c.clientIp) ?? "-",
      method: pick(cells, c.method) ?? "-",
      path: pick(cells, c.path) ?? "-",
      status,
      bytes: Number(pick(cells, c.bytes)) || 0,
      result: pick(cells, c.result) ?? "-",
      userAgent: this.agent(pick(cells, c.userAgent) ?? "-"),
      timeTaken: Number(pick(cells, c.timeTaken)) || 0,
    };
  }

  /** Epoch ms of `2026-12-07` `13:05:09` (UTC), the date parsed once for all its lines. */
  private moment(date: string | undefined, time: string | undefined): number {
    if (date !== this.lastDate) {
      this.lastDate = date ?? "";
      this.lastMidnight = /^\d{4}-\d{2}-\d{2}$/.test(this.lastDate)
        ? Date.parse(`${this.lastDate}T00:00:00Z`)
        : Number.NaN;
    }
    if (time === undefined || time.length !== 8 || time.charCodeAt(2) !== 58 || time.charCodeAt(5) !== 58)
      return Number.NaN;
    const seconds =
      (digitAt(time, 0) * 10 + digitAt(time, 1)) * 3600 +
      (digitAt(time, 3) * 10 + digitAt(time, 4)) * 60 +
      digitAt(time, 6) * 10 +
      digitAt(time, 7);
    return this.lastMidnight + seconds * 1000;
  }

  private agent(raw: string): string {
    let text = this.agents.get(raw);
    if (text === undefined) {
      if (this.agents.size >= 1_000) this.agents.clear();
      text = decoded(raw);
      this.agents.set(raw, text);
    }
    return text;
  }
}

type Positions = Partial<Record<Column, number>>;

/** The digit at `i`, or NaN where there is none (a malformed time). */
function digitAt(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : Number.NaN;
}

function pick(cells: readonly (string | undefined)[], at: number | undefined): string | undefined {
  return at === undefined ? undefined : cells[at];
}

/** Where each column the record needs is among these fields. */
function positionsOf(fields: readonly string[]): Positions {
  const at = new Map(fields.map((f, i) => [f, i]));
  const positions: Positions = {};
  for (const name of COLUMN_NAMES) {
    const i = at.get(COLUMNS[name]);
    if (i !== undefined) positions[name] = i;
  }
  return positions;
}

/** For each field position, whether the record reads it; the columns are looked up once per #Fields. */
const wanted = new WeakMap<Positions, boolean[]>();

/**
 * The line's cells at the positions the record reads (the others left empty): about half of a
 * legacy line's fields, so half the strings a split would make for every line.
 */
function cutColumns(line: string, positions: Positions): (string | undefined)[] {
  let reads = wanted.get(positions);
  if (!reads) {
    reads = [];
    for (const name of COLUMN_NAMES) {
      const at = positions[name];
      if (at !== undefined) reads[at] = true;
    }
    wanted.set(positions, reads);
  }
  const cells: (string | undefined)[] = new Array(reads.length);
  let from = 0;
  for (let i = 0; i < reads.length; i++) {
    const tab = line.indexOf("\t", from);
    if (reads[i]) cells[i] = line.slice(from, tab === -1 ? line.length : tab);
    if (tab === -1) break;
    from = tab + 1;
  }
  return cells;
}

/** A JSON line's cells are the columns in COLUMN_NAMES' order. */
const JSON_POSITIONS = positionsOf(COLUMN_NAMES.map((name) => COLUMNS[name]));

/** Logging v2's JSON output: one object a line, keyed by the same field names. */
function jsonCells(line: string): (string | undefined)[] {
  const object = parsedObject(line);
  return COLUMN_NAMES.map((name) => {
    const value = object?.[COLUMNS[name]];
    return value === undefined || value === null ? undefined : String(value);
  });
}

function parsedObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** CloudFront URL-encodes the user agent (spaces as %20, sometimes twice): shown decoded. */
function decoded(value: string): string {
  let text = value;
  for (let pass = 0; pass < 2 && /%[0-9A-Fa-f]{2}/.test(text); pass++) {
    try {
      text = decodeURIComponent(text);
    } catch {
      break;
    }
  }
  return text;
}
