// The import rules of docs/architecture.md §5, checked by `npm run lint:deps` (part of `npm test`) and by
// test/architecture/dependency-rules.test.ts, which also proves each rule fails on a forbidden import.
const WORKFLOWS = "webhook|onboarding|offboarding|reconciliation|claim-release";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import circle makes two modules one: merge them or move what both need down a layer.",
      from: {},
      to: { circular: true },
    },
    {
      name: "contracts-import-nothing",
      severity: "error",
      comment:
        "contracts/ holds names both lib/ and functions/ use; it depends on nothing of ours or of npm.",
      from: { path: "^contracts/" },
      to: { pathNot: ["^contracts/"], dependencyTypesNot: ["core"] },
    },
    {
      name: "lib-not-runtime",
      severity: "error",
      comment: "The CDK app shares names with the functions through contracts/ only.",
      from: { path: "^lib/" },
      to: { path: "^(functions|local|ops|bench|bin|test)/" },
    },
    {
      name: "functions-not-up",
      severity: "error",
      comment:
        "Lambda code is bundled alone: it may import contracts/ and functions/, never the CDK app or tools.",
      from: { path: "^functions/" },
      to: { path: "^(lib|local|ops|bench|bin|test)/" },
    },
    {
      name: "platform-is-the-floor",
      severity: "error",
      comment:
        "platform/ (errors, config, observability, step handler) serves every capability and knows none.",
      from: { path: "^functions/platform/" },
      to: { path: "^functions/", pathNot: "^functions/platform/" },
    },
    {
      name: "portal-knows-no-workflow",
      severity: "error",
      comment: "The portal client serves every workflow; it knows nothing of practices or events.",
      from: { path: "^functions/portal/" },
      to: { path: `^functions/(practice|domain-events|${WORKFLOWS})/` },
    },
    {
      name: "key-custody-knows-no-capability",
      severity: "error",
      comment:
        "Fingerprinting and encrypting a key serve the table writer and the workflows; they know neither.",
      from: { path: "^functions/key-custody/" },
      to: { path: "^functions/", pathNot: "^functions/(key-custody|platform)/" },
    },
    {
      name: "practice-knows-no-workflow",
      severity: "error",
      comment: "practice/ is the table's one writer; workflows call it, never the other way round.",
      from: { path: "^functions/practice/" },
      to: { path: `^functions/(domain-events|${WORKFLOWS})/` },
    },
    {
      name: "domain-events-know-no-workflow",
      severity: "error",
      from: { path: "^functions/domain-events/" },
      to: { path: `^functions/(${WORKFLOWS})/` },
    },
    {
      name: "workflows-stay-apart",
      severity: "error",
      comment:
        "A workflow folder never imports another; the claim release runs onboarding's and offboarding's own " +
        "compensation (functions/claim-release/claim-release.ts says so).",
      from: { path: "^functions/(webhook|onboarding|offboarding|reconciliation)/" },
      to: { path: `^functions/(${WORKFLOWS})/`, pathNot: "^functions/$1/" },
    },
    {
      name: "claim-release-compensation-only",
      severity: "error",
      comment: "What the claim release may take from the workflows it releases: their compensation steps.",
      from: { path: "^functions/claim-release/" },
      to: {
        path: "^functions/(webhook|onboarding|offboarding|reconciliation)/",
        pathNot: "^functions/(onboarding/onboarding-steps|offboarding/offboarding-steps)\\.ts$",
      },
    },
    {
      name: "one-table-writer",
      severity: "error",
      comment:
        "Only practice/ (records, ledger, audit, runs) and the portal's rate limiter (its budget item) reach " +
        "DynamoDB; everything else goes through practice/.",
      from: {
        path: "^functions/",
        pathNot: "^functions/(practice/|platform/dynamodb-client\\.ts$|portal/portal-rate-limiter\\.ts$)",
      },
      to: { path: "@aws-sdk/(lib-dynamodb|client-dynamodb)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|cdk\\.out|\\.local)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
