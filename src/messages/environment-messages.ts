import type { EnvironmentNote } from "../environments/environment-machine.js";
import type { Environment } from "../store/records.js";
import { describeFailure, failureText } from "../workflow/failures.js";
import { code, context, escapeText, formatDuration, mention, type SlackMessage, section } from "./format.js";

const STATE_WORD: Record<Environment["state"], string> = {
  creating: "Creating",
  deploying: "InProgress (CloudFront is deploying it, usually 5 to 20 minutes)",
  ready: "Deployed and ready",
  disabling: "Being deleted: disabled first, then deleted once that is Deployed",
  deleting: "Being deleted",
  deleted: "Deleted",
  failed: "Failed",
};

/** Where the environment is reached (plain text; escaped by the caller). */
function reachedAt(env: Environment): string {
  const at = [env.aliasHost, env.domainName].filter((h): h is string => Boolean(h));
  return at.length > 0 ? at.join(", ") : "not yet known";
}

/** The environment's own message: what it is, where it is reached, its state now. */
export function environmentParentMessage(env: Environment): SlackMessage {
  const word = STATE_WORD[env.state];
  const failed = failureText(env);
  const dist = env.distributionId ? ` (${escapeText(env.distributionId)})` : "";
  const took =
    env.readyAt !== undefined && env.state === "ready"
      ? ` in ${formatDuration(env.readyAt - env.requestedAt)}`
      : "";
  const what = `from template ${escapeText(env.template)} (a copy of ${escapeText(env.source)}), origin ${escapeText(env.originDomain)}`;
  const text = `Environment ${escapeText(env.name)}${dist} ${what}, asked by ${mention(env.requestedBy.userId)}. Reached at: ${escapeText(reachedAt(env))}. Status: ${word}${took}.${failed ? ` Error: ${escapeText(failed)}` : ""}`;
  return {
    text,
    blocks: [
      section(
        `:seedling: *Environment ${code(env.name)}*${dist} by ${mention(env.requestedBy.userId)}\n${what}\n*Reached at:* ${escapeText(reachedAt(env))}\n*Status:* ${word}${took}${failed ? `\n*Error:* ${escapeText(failed)}` : ""}`,
      ),
      context(
        env.state === "ready"
          ? `\`/cdn env delete ${escapeText(env.name)}\` deletes it; \`/cdn purge ${escapeText(env.name)} /path\` and the other commands take its name.`
          : `Request ${escapeText(env.id)}.`,
      ),
    ],
  };
}

/** The message a delete that needed no approval starts its thread with. */
export function environmentDeletionMessage(env: Environment): SlackMessage {
  const by = env.deletion ? mention(env.deletion.requestedBy.userId) : "someone";
  const text = `Deleting environment ${escapeText(env.name)} (${escapeText(env.distributionId ?? "")}), asked by ${by}: disabling it, then deleting it once that is Deployed.`;
  return { text, blocks: [section(`:wastebasket: ${text}`)] };
}

/** A thread reply, as plain text (escaped by `literalMessage`). */
export function environmentNoteText(env: Environment, note: EnvironmentNote): string {
  switch (note.code) {
    case "created":
      return `Distribution ${env.distributionId ?? ""} created for environment ${env.name} (${env.domainName ?? ""}). Status: InProgress while CloudFront deploys it (usually 5 to 20 minutes); I will reply here when it is ready.`;
    case "ready":
      return `Environment ${env.name} is Deployed and ready at ${reachedAt(env)}. Its name works in every /cdn command.`;
    case "create-failed":
      return `Environment ${env.name} was not created: ${describeFailure(note.failure)}`;
    case "retrying":
      return `${note.explanation} I will keep trying.`;
    case "disabled":
      return `Environment ${env.name} is disabled; I will delete it once CloudFront has deployed that (usually 5 to 20 minutes).`;
    case "deleted": {
      const took =
        env.finishedAt !== undefined && env.deletion
          ? ` in ${formatDuration(env.finishedAt - env.deletion.requestedAt)}`
          : "";
      return `Environment ${env.name} is deleted (distribution ${env.distributionId ?? ""})${took}.`;
    }
    case "delete-refused":
      return `Environment ${env.name} was not deleted: ${describeFailure(note.failure)}`;
  }
}

/** `/cdn env list`. */
export function environmentListMessage(envs: Environment[], templates: string[]): SlackMessage {
  if (envs.length === 0) {
    const text =
      templates.length > 0
        ? `No environments yet. Templates: ${templates.map(escapeText).join(", ")}. \`/cdn env create <template> <name> origin=<host>\` makes one.`
        : "No environments, and no templates to make one from: an operator adds them under `environments.templates` in the config.";
    return { text, blocks: [section(text)] };
  }
  const line = (e: Environment, name: string) =>
    `${name} ${e.distributionId ? `(${escapeText(e.distributionId)}) ` : ""}— ${STATE_WORD[e.state]}; template ${escapeText(e.template)}, origin ${escapeText(e.originDomain)}; reached at ${escapeText(reachedAt(e))}${failureText(e) ? `; last error: ${escapeText(failureText(e)!)}` : ""}`;
  const text = `Environments: ${envs.map((e) => line(e, escapeText(e.name))).join(". ")}`;
  return {
    text,
    blocks: [section(`*Environments*\n${envs.map((e) => `• ${line(e, code(e.name))}`).join("\n")}`)],
  };
}
