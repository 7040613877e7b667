// How the simulator reads a request body and writes an answer: the portal's error explanations in each style,
// and what an injected fault answers instead. Shared by the API and the control routes.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type FaultDecision, htmlPage } from "./portal-simulator-faults.js";
import type { ErrorBodyStyle, SimulatorCall } from "./portal-simulator-types.js";

const MAX_BODY_BYTES = 1_000_000;

export interface Answer {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

export class RequestRejected extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestRejected("The request body is too large.");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function explainAs(errorBodyStyle: ErrorBodyStyle, status: number, explanation: string): Answer {
  switch (errorBodyStyle) {
    case "text":
      return { status, body: explanation, contentType: "text/plain; charset=utf-8" };
    case "json-object":
      return {
        status,
        body: JSON.stringify({ Message: explanation }),
        contentType: "application/json; charset=utf-8",
      };
    default:
      return { status, body: JSON.stringify(explanation), contentType: "application/json; charset=utf-8" };
  }
}

export function json(status: number, body: string): Answer {
  return { status, body, contentType: "application/json; charset=utf-8" };
}

export function faultAnswer(errorBodyStyle: ErrorBodyStyle, fault: FaultDecision): Answer | undefined {
  switch (fault.kind) {
    case "status": {
      const body = fault.body ?? JSON.stringify(`Simulated ${fault.status} response.`);
      let contentType = "text/plain; charset=utf-8";
      try {
        JSON.parse(body);
        contentType = "application/json; charset=utf-8";
      } catch {}
      const headers = { ...(fault.status === 429 ? { "Retry-After": "1" } : {}), ...fault.headers };
      return { status: fault.status, body, contentType, headers };
    }
    case "html":
      return {
        status: fault.status,
        body: htmlPage(fault.status),
        contentType: "text/html; charset=utf-8",
      };
    case "throttle":
      return {
        ...explainAs(errorBodyStyle, 429, "Too many requests. Please slow down."),
        headers: { "Retry-After": "1" },
      };
    case "error":
      if (fault.textBody) {
        return {
          status: fault.status,
          body: "The server encountered an error.",
          contentType: "text/plain",
        };
      }
      return json(fault.status, JSON.stringify({ Message: "An error has occurred." }));
    default:
      return undefined;
  }
}

export function send(res: ServerResponse, call: SimulatorCall, answer: Answer): void {
  call.status = answer.status;
  if (res.destroyed) return;
  res.writeHead(answer.status, {
    "Content-Type": answer.contentType,
    "Content-Length": Buffer.byteLength(answer.body),
    ...answer.headers,
  });
  res.end(answer.body);
}
