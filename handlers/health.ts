import type { CustomRoute } from "@slack/bolt";
import { READINESS_CHECKS } from "../src/health/dependency-checks.js";
import type { Readiness } from "../src/health/readiness.js";

/** A scheduled job's health as the scheduler reports it. */
type JobHealth = { job: string; runs: number; lastFinishedAt?: number; failures: number; stuck: number };

/**
 * `GET /healthz`: the process is alive and serving HTTP (for a liveness probe: restart it if not).
 * `GET /readyz`: 200 when every dependency passed its last check, else 503, with each check's state
 * as JSON (for a readiness probe or a load balancer: send no work until it is ready).
 */
export function healthRoutes(readiness: Readiness, jobs: () => JobHealth[] = () => []): CustomRoute[] {
  return [
    {
      path: "/healthz",
      method: ["GET"],
      handler: (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        // Memory beside liveness: a process whose heap keeps growing shows it before it is killed.
        const { rss, heapUsed } = process.memoryUsage();
        const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
        res.end(JSON.stringify({ status: "alive", memory: { rssMb: mb(rss), heapUsedMb: mb(heapUsed) } }));
      },
    },
    {
      path: "/readyz",
      method: ["GET"],
      handler: (_req, res) => {
        const report = readiness.report(READINESS_CHECKS);
        res.writeHead(report.ready ? 200 : 503, { "content-type": "application/json" });
        // Each scheduled job's last finished run: a job that stopped finishing shows here first.
        const scheduled = jobs().map((j) => ({
          ...j,
          ...(j.lastFinishedAt !== undefined
            ? { lastFinishedAt: new Date(j.lastFinishedAt).toISOString() }
            : {}),
        }));
        res.end(
          JSON.stringify({
            status: report.ready ? "ready" : "not ready",
            checks: report.checks,
            jobs: scheduled,
          }),
        );
      },
    },
  ];
}
