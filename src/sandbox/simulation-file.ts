import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import type { SimulationState } from "./simulated-cloudfront.js";

/** Where `npm run sandbox -- --data <dir>` keeps the simulated CloudFront beside the bot's state. */
export const simulationFile = (dir: string) => join(dir, "simulated-cloudfront.json");

/** A custom policy as the simulation wrote it (its config in CloudFront's own shape). */
const policySchema = z.object({
  id: z.string(),
  config: z.record(z.string(), z.unknown()),
  etag: z.string(),
  managed: z.boolean(),
  modifiedAt: z.number().default(0),
});

const stateSchema = z.object({
  distributions: z.array(
    z.object({
      id: z.string(),
      // CloudFront's own config shape: the simulation wrote it, and gives it back as it was.
      config: z.record(z.string(), z.unknown()),
      etag: z.string(),
      lastModified: z.number(),
      deployedAt: z.number(),
    }),
  ),
  invalidations: z.array(
    z.object({
      id: z.string(),
      distributionId: z.string(),
      paths: z.array(z.string()),
      callerReference: z.string(),
      createdAt: z.number(),
      completesAt: z.number(),
    }),
  ),
  realtimeLogConfigs: z.array(
    z.object({
      name: z.string(),
      arn: z.string(),
      samplingRate: z.number(),
      fields: z.array(z.string()),
      streamArn: z.string(),
      roleArn: z.string(),
    }),
  ),
  // The account's own policies; a file written before they were kept has none.
  cachePolicies: z.array(policySchema).optional(),
  responseHeadersPolicies: z.array(policySchema).optional(),
});

/** The simulation as a previous run left it, or undefined on a first run. */
export function loadSimulation(dir: string): SimulationState | undefined {
  const file = simulationFile(dir);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    parsed = undefined;
  }
  const state = stateSchema.safeParse(parsed);
  if (!state.success)
    throw new UserError(
      `${file} is not a simulation this sandbox can read: delete it to start CloudFront afresh.`,
    );
  // Checked above, field by field; the configs are CloudFront's shape as the simulation wrote it.
  return state.data as unknown as SimulationState;
}

/** Saves the simulation whole, through a temporary file, so a crash never leaves half of it. */
export function saveSimulation(dir: string, state: SimulationState): void {
  const file = simulationFile(dir);
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}
