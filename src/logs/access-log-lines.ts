/**
 * CloudFront's access log lines in the W3C format, legacy standard logging's (tab-separated, after
 * `#Version` and `#Fields` lines) and logging v2's W3C output alike: the `#Fields` line names the
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

/** Reads one file's lines in order: `#Fields` sets the columns; other `#` lines and blanks are skipped. */
export class AccessLogReader {
  private index = indexOf(LEGACY_FIELDS);
  /** Lines that could not be read (too few columns, a date that is not one). */
  malformed = 0;

  read(line: string): AccessLogRecord | undefined {
    if (line === "") return undefined;
    if (line.startsWith("#")) {
      const fields = /^#Fields:\s*(.*)$/.exec(line)?.[1];
      if (fields) this.index = indexOf(fields.trim().split(/\s+/));
      return undefined;
    }
    const cells = line.split("\t");
    const cell = (name: keyof typeof COLUMNS) => {
      const at = this.index.get(COLUMNS[name]);
      return at === undefined ? undefined : cells[at];
    };
    const at = Date.parse(`${cell("date")}T${cell("time")}Z`);
    const status = Number(cell("status"));
    if (Number.isNaN(at) || !Number.isInteger(status)) {
      this.malformed++;
      return undefined;
    }
    return {
      at,
      edge: cell("edge") ?? "-",
      clientIp: cell("clientIp") ?? "-",
      method: cell("method") ?? "-",
      path: cell("path") ?? "-",
      status,
      bytes: Number(cell("bytes")) || 0,
      result: cell("result") ?? "-",
      userAgent: decoded(cell("userAgent") ?? "-"),
      timeTaken: Number(cell("timeTaken")) || 0,
    };
  }
}

function indexOf(fields: readonly string[]): Map<string, number> {
  return new Map(fields.map((f, i) => [f, i]));
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
