/**
 * A gateway whose module, and the AWS SDK behind it, load on its first call rather than at start-up:
 * the SDK's clients are most of what the bot would otherwise load before it can listen. Every
 * gateway method is async, so a caller cannot tell the difference.
 */
export function loadOnFirstCall<T extends object>(load: () => Promise<T>): T {
  let loading: Promise<T> | undefined;
  return new Proxy({} as T, {
    get(_target, name) {
      // Not a thenable (an async function returning the gateway must not await it), and no symbols
      // (inspection): only the gateway's own methods by name.
      if (name === "then" || typeof name === "symbol") return undefined;
      return async (...args: unknown[]) => {
        loading ??= load().catch((error: unknown) => {
          loading = undefined; // a failed load is tried again by the next call
          throw error;
        });
        const gateway = await loading;
        // A gateway's members are its methods: the one asked for is called with the arguments given.
        const method = Reflect.get(gateway, name) as (...a: unknown[]) => unknown;
        return method.apply(gateway, args);
      };
    },
  });
}
