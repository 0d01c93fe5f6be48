import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from "@slack/bolt";
import {
  parseStepInputs,
  STEP_CALLBACK_IDS,
  type StepCallbackId,
  StepInputError,
} from "../src/commands/parse-step-inputs.js";
import { receiveStep, runStep, type StepDeps } from "../src/steps/workflow-steps.js";

type StepArgs = SlackEventMiddlewareArgs<"function_executed"> & AllMiddlewareArgs;

export function register(app: App, deps: StepDeps): void {
  for (const callbackId of STEP_CALLBACK_IDS)
    app.function(callbackId, { autoAcknowledge: false }, handleStep(deps, callbackId));
}

/**
 * A Workflow Builder step: its inputs read, the step stored, then the event acknowledged (what the
 * ack promises is in the store); the rest runs after, and the steps job carries it on to its end.
 * Inputs that cannot be a step end it at once, with why.
 */
export function handleStep(deps: StepDeps, callbackId: StepCallbackId) {
  return async function step({ ack, event, inputs, body }: StepArgs): Promise<void> {
    const executionId = event.function_execution_id;
    let parsed: ReturnType<typeof parseStepInputs>;
    try {
      parsed = parseStepInputs(callbackId, inputs);
    } catch (error) {
      await ack();
      if (!(error instanceof StepInputError)) throw error;
      await deps.completer.fail(executionId, error.message);
      return;
    }
    const actor = { userId: parsed.userId ?? "", teamId: body.team_id };
    await receiveStep(deps, {
      executionId,
      input: parsed.input,
      actor,
      ...(parsed.channelId ? { channelId: parsed.channelId } : {}),
    });
    await ack();
    await runStep(deps, executionId);
  };
}
