/**
 * The bot token scopes cdnbot needs, each for what it does (manifest.yml asks for exactly these; a
 * test keeps the two equal, and `npm run doctor` checks a real token against them).
 */
export const REQUIRED_BOT_SCOPES: Record<string, string> = {
  commands: "the /cdn command",
  "chat:write": "posting and updating its threads",
  "usergroups:read": "policies that name user groups",
  "files:write": "the chart of /cdn stats",
  "channels:history": "finding its own post after a crash, so a thread is never told twice",
  "groups:history": "the same in private channels",
};
