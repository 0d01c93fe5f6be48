import { UserError } from "../errors.js";

export type MetricWindow = { label: string; ms: number; periodSeconds: number };

// Periods keep both windows (this one and the one before) within one GetMetricData answer.
const WINDOWS: Record<string, MetricWindow> = {
  "1h": { label: "1h", ms: 3_600_000, periodSeconds: 60 },
  "3h": { label: "3h", ms: 3 * 3_600_000, periodSeconds: 300 },
  "6h": { label: "6h", ms: 6 * 3_600_000, periodSeconds: 300 },
  "12h": { label: "12h", ms: 12 * 3_600_000, periodSeconds: 900 },
  "24h": { label: "24h", ms: 24 * 3_600_000, periodSeconds: 900 },
  "3d": { label: "3d", ms: 3 * 86_400_000, periodSeconds: 3600 },
  "7d": { label: "7d", ms: 7 * 86_400_000, periodSeconds: 3600 },
};

export const WINDOW_LABELS = Object.keys(WINDOWS);

export function parseWindow(text: string | undefined): MetricWindow {
  if (text === undefined) return WINDOWS["1h"]!;
  const window = WINDOWS[text.toLowerCase()];
  if (!window) {
    throw new UserError(
      `\`${text.slice(0, 20)}\` is not a window I know. Use one of ${Object.keys(WINDOWS)
        .map((w) => `\`${w}\``)
        .join(", ")}.`,
    );
  }
  return window;
}
