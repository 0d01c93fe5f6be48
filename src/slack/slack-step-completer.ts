import type { WebClient } from "@slack/web-api";
import type { StepCompleter } from "../steps/workflow-steps.js";

/** Slack's answers that mean the step is over already: told before, or no longer running. */
const ALREADY_OVER = new Set(["execution_not_in_running_state", "function_execution_not_found"]);

function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === "string" ? data.error : undefined;
}

/**
 * Tells Slack how a workflow step ended (`functions.completeSuccess` / `completeError`), with the
 * bot's own token: after a restart the execution's short-lived token is gone, and the execution id
 * is what names the step. A step Slack no longer runs (told already, or timed out) is over.
 */
export function createSlackStepCompleter(client: WebClient): StepCompleter {
  const settle = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      if (!ALREADY_OVER.has(slackErrorCode(error) ?? "")) throw error;
    }
  };
  return {
    succeed: (executionId, outputs) =>
      settle(() => client.functions.completeSuccess({ function_execution_id: executionId, outputs })),
    // Slack shows the error to the workflow's people: at most 500 characters of it.
    fail: (executionId, error) =>
      settle(() =>
        client.functions.completeError({ function_execution_id: executionId, error: error.slice(0, 500) }),
      ),
  };
}
