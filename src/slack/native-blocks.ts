import type { KnownBlock } from "@slack/types";
import type { Logger } from "../logger.js";
import type { SlackMessage } from "../messages/format.js";

/** Slack's refusal of a message's blocks (a workspace without native tables and charts says this). */
function refusesBlocks(error: unknown): boolean {
  const e = error as { data?: { error?: unknown }; response?: { data?: unknown } };
  const said = `${typeof e.data?.error === "string" ? e.data.error : ""} ${JSON.stringify(e.response?.data ?? "")}`;
  return /invalid_blocks/.test(said);
}

/**
 * Whether this workspace takes Slack's native tables and charts (`data_table`,
 * `data_visualization`). Tried first; the first refusal (`invalid_blocks`) of a message that has a
 * classic rendering sends that instead, and every later message goes classic from then on. Off
 * from the start where the operator says so (`CDNBOT_NATIVE_BLOCKS=off`).
 */
export class NativeBlocks {
  private refused = false;

  constructor(
    private readonly enabled: boolean,
    private readonly logger?: Logger,
  ) {}

  /** The blocks to send now: the native ones, unless they are off or were refused. */
  blocksOf(message: SlackMessage): KnownBlock[] {
    return message.plainBlocks && (!this.enabled || this.refused) ? message.plainBlocks : message.blocks;
  }

  /** Sends the message's blocks; where Slack refuses its native ones, its classic ones. */
  async send<T>(message: SlackMessage, send: (blocks: KnownBlock[]) => Promise<T>): Promise<T> {
    const blocks = this.blocksOf(message);
    if (!message.plainBlocks || blocks === message.plainBlocks) return send(blocks);
    try {
      return await send(blocks);
    } catch (error) {
      if (!refusesBlocks(error)) throw error;
      if (!this.refused)
        this.logger?.warn("Slack refused a native table or chart: sending the classic blocks from now on", {
          error,
        });
      this.refused = true;
      return send(message.plainBlocks);
    }
  }
}
