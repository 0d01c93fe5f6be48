// `npm start`'s entry: turns on Node's compile cache before anything else loads, so a restart reuses
// the bytecode of Bolt, the AWS SDK and the bot (about a fifth of start-up), then runs the bot.
import module from "node:module";

// In the OS's temporary directory by default; Node < 22.1 has no cache, and main.ts says which Node it needs.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import("./main.js");
