import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The lowest port this picker uses: above the registered services most machines run. */
const LOWEST_PORT = 10_000;
const ATTEMPTS = 50;

/**
 * A free TCP port on loopback (for servers, like DynamoDB Local or `npm start`, told their port before they bind).
 *
 * The port is bound seconds later, so it is chosen below the kernel's ephemeral range: a port from that range
 * (what binding port 0 returns) may be handed meanwhile to another process's outgoing connection or port-0
 * server, and the late bind then fails with EADDRINUSE (a CI run failed so).
 */
export async function findFreePort(host = "127.0.0.1"): Promise<number> {
  const ephemeralLow = ephemeralRangeStart();
  if (ephemeralLow > LOWEST_PORT + 1_000) {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const port = randomInt(LOWEST_PORT, ephemeralLow);
      if (await canListen(port, host)) return port;
    }
  }
  return listen(0, host);
}

/** Linux's ip_local_port_range start; elsewhere the IANA dynamic range's. */
function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 49_152;
  } catch {
    return 49_152;
  }
}

async function canListen(port: number, host: string): Promise<boolean> {
  try {
    await listen(port, host);
    return true;
  } catch {
    return false;
  }
}

/** Listens on `port` (0: the kernel's choice), closes, and returns the port it had. */
function listen(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
