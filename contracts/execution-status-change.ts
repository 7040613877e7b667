// The Step Functions "Execution Status Change" event the claim release acts on: the EventBridge rule
// (lib/claim-release.ts) matches it and functions/claim-release/ parses it.

export const EXECUTION_STATUS_CHANGE_SOURCE = "aws.states";
export const EXECUTION_STATUS_CHANGE_DETAIL_TYPE = "Step Functions Execution Status Change";

/** The end statuses whose execution may not have compensated (SUCCEEDED always released its claim). */
export const UNRELEASED_END_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;
