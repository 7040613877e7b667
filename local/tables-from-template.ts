// Creates, in DynamoDB Local, the tables a synthesized template declares: same keys, indexes, TTL and stream.
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceInUseException,
  type StreamViewType,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";

type CfnTemplate = { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

export interface TableDefinition {
  readonly logicalId: string;
  readonly input: Omit<CreateTableCommandInput, "TableName">;
  readonly ttlAttribute?: string;
}

/** Reads every `AWS::DynamoDB::GlobalTable` / `AWS::DynamoDB::Table` of a template as CreateTable inputs. */
export function tableDefinitionsFromTemplate(template: CfnTemplate): TableDefinition[] {
  const tables: TableDefinition[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== "AWS::DynamoDB::GlobalTable" && resource.Type !== "AWS::DynamoDB::Table") continue;
    const p = resource.Properties ?? {};
    const gsis = (p.GlobalSecondaryIndexes as GlobalSecondaryIndex[] | undefined)?.map((gsi) => ({
      IndexName: gsi.IndexName,
      KeySchema: gsi.KeySchema,
      Projection: gsi.Projection,
    }));
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    const stream = p.StreamSpecification as { StreamViewType?: StreamViewType } | undefined;
    tables.push({
      logicalId,
      input: {
        AttributeDefinitions: p.AttributeDefinitions as AttributeDefinition[],
        KeySchema: p.KeySchema as KeySchemaElement[],
        BillingMode: "PAY_PER_REQUEST",
        ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
        ...(stream?.StreamViewType
          ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } }
          : {}),
      },
      ttlAttribute: ttl?.Enabled ? ttl.AttributeName : undefined,
    });
  }
  return tables;
}

/**
 * Creates each table under the name `nameFor(logicalId)`; an existing table (a persisted LOCAL_DATA_DIR)
 * is kept as it is. Returns logical id → table name.
 */
export async function createTablesFromTemplate(
  client: DynamoDBClient,
  template: CfnTemplate,
  nameFor: (logicalId: string) => string,
): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const table of tableDefinitionsFromTemplate(template)) {
    const TableName = nameFor(table.logicalId);
    names[table.logicalId] = TableName;
    try {
      await client.send(new CreateTableCommand({ ...table.input, TableName }));
    } catch (error) {
      if (error instanceof ResourceInUseException) continue;
      throw error;
    }
    if (table.ttlAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
  }
  return names;
}
