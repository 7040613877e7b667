import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { findFreePort } from "../../../local/free-port.js";

// Linux hands ports from this range to port-0 servers and to outgoing connections, whoever asks first.
const [ephemeralLow, ephemeralHigh] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
  .trim()
  .split(/\s+/)
  .map(Number) as [number, number];

function listen(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve(() => new Promise<void>((closed) => server.close(() => closed()))),
    );
  });
}

describe("findFreePort", () => {
  // CI failed when `npm start` bound LOCAL_PORT 9 s after the test chose it: meanwhile the kernel had given the
  // same ephemeral port to another test process. A port chosen now and bound later must not be one it hands out.
  it("chooses ports outside the kernel's ephemeral range, so nothing else is given them meanwhile", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => findFreePort()));
    for (const port of ports) {
      expect(port >= ephemeralLow && port <= ephemeralHigh, `port ${port}`).toBe(false);
      expect(port).toBeGreaterThanOrEqual(1024);
    }
  });

  it("chooses a port that can be listened on", async () => {
    const close = await listen(await findFreePort());
    await close();
  });
});
