// A PracticeStore on a test table with key custody as the functions have it: the test fingerprinter and the
// in-process KMS cipher (keys are stored encrypted, docs/architecture.md §4 invariant 13).
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import type { PracticeTable } from "../../functions/practice/practice-table.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { type LocalEndpoints, STACK_OUTPUTS } from "../../local/local-endpoints.js";
import { stackKeyCipher, testKeyCipher } from "./test-key-cipher.js";
import { localStackFingerprinter, testFingerprinter } from "./test-key-custody.js";

export function testPracticeStore(table: Pick<PracticeTable, "client" | "tableName">): PracticeStore {
  return new PracticeStore({
    client: table.client,
    tableName: table.tableName,
    fingerprint: testFingerprinter,
    keyCipher: testKeyCipher,
  });
}

/**
 * A PracticeStore on a running local stack's table as its functions have it: the state directory's fingerprint
 * secret and the stack's custody key through its KMS endpoint.
 */
export function localStackPracticeStore(
  endpoints: LocalEndpoints,
  stateDir: string,
  client: DynamoDBDocumentClient = DynamoDBDocumentClient.from(
    localDynamoDbClient(endpoints.dynamoDbEndpoint),
  ),
): PracticeStore {
  return new PracticeStore({
    client,
    tableName: endpoints.outputs[STACK_OUTPUTS.tableName]!,
    fingerprint: localStackFingerprinter(stateDir),
    keyCipher: stackKeyCipher({
      endpoint: endpoints.awsEndpoint,
      custodyKeyArn: endpoints.outputs[STACK_OUTPUTS.keyCustodyKey]!,
    }),
  });
}
