// Lambda handler of the activation page (`GET|POST /activate/{token}`, `GET /activate/assets/{asset}` on the
// HTTP API): the request handling of activation-http.ts on the practice table (practice/activation-runtime.ts).
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { keyCipherFromEnv } from "../key-custody/key-cipher-runtime.js";
import { logger } from "../platform/observability.js";
import { activationRuntime } from "../practice/activation-runtime.js";
import { type ActivationHttpHandler, createActivationHttpHandler } from "./activation-http.js";

let page: ActivationHttpHandler | undefined;

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  page ??= createActivationHttpHandler({
    ...activationRuntime({ keyCipher: keyCipherFromEnv() }),
    logger,
    now: () => new Date(),
  });
  return page(event);
}
