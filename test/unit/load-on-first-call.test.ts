import { describe, expect, it } from "vitest";
import { loadOnFirstCall } from "../../src/aws/load-on-first-call.js";

type Gateway = { read(id: string): Promise<string>; write(id: string, value: string): Promise<void> };

describe("a gateway loaded on its first call", () => {
  it("loads once, on the first call, and forwards every call with its arguments", async () => {
    let loads = 0;
    const written: string[] = [];
    const gateway = loadOnFirstCall<Gateway>(async () => {
      loads++;
      return {
        read: async (id) => `value of ${id}`,
        write: async (id, value) => void written.push(`${id}=${value}`),
      };
    });

    expect(loads).toBe(0);
    expect(await Promise.all([gateway.read("a"), gateway.read("b")])).toEqual(["value of a", "value of b"]);
    await gateway.write("c", "3");

    expect(loads).toBe(1);
    expect(written).toEqual(["c=3"]);
  });

  it("can be returned from an async function without being taken for a promise", async () => {
    const gateway = loadOnFirstCall<Gateway>(async () => ({ read: async () => "x", write: async () => {} }));
    const passed = await (async () => gateway)();
    expect(await passed.read("id")).toBe("x");
  });

  it("passes a failure to load to the caller, and tries again on the next call", async () => {
    let attempts = 0;
    const gateway = loadOnFirstCall<Gateway>(async () => {
      attempts++;
      throw new Error("no SDK");
    });
    await expect(gateway.read("a")).rejects.toThrow("no SDK");
    await expect(gateway.read("a")).rejects.toThrow("no SDK");
    expect(attempts).toBe(2);
  });
});
