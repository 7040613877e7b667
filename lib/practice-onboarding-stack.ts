import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { DEFAULT_OPEN_DENTAL_BASE_URL } from "../contracts/portal-defaults.js";
import { STACK_OUTPUTS } from "../contracts/stack-outputs.js";
import { ActivationAutoIssue } from "./activation-auto-issue.js";
import { ActivationPage } from "./activation-page.js";
import { ClaimRelease } from "./claim-release.js";
import { CrmProviderRoutes, DEFAULT_CRM_MAPPING_FILE, readCrmMappingText } from "./crm-provider-routes.js";
import { DomainEventBus } from "./domain-event-bus.js";
import { DomainEventOutbox } from "./domain-event-outbox.js";
import { EncryptionKey } from "./encryption-key.js";
import { KEY_ADMINISTRATOR_POLICY_SIDS, KeyAdministratorPolicy } from "./key-administrator-policy.js";
import { KeyCustody } from "./key-custody.js";
import { OffboardingRequestWorkflow } from "./offboarding-request-workflow.js";
import { OffboardingWorkflow } from "./offboarding-workflow.js";
import { OnboardingWorkflow } from "./onboarding-workflow.js";
import { OperationsAlarms } from "./operations-alarms.js";
import { OperatorPolicy } from "./operator-policy.js";
import { PortalSecrets } from "./portal-secrets.js";
import { PracticeTable } from "./practice-table.js";
import { ReconciliationSchedule } from "./reconciliation-schedule.js";
import { ReconciliationWorkflow } from "./reconciliation-workflow.js";
import { WebhookApi } from "./webhook-api.js";

export interface PracticeOnboardingStackProps extends StackProps {
  /** Existing portal-credentials secret name (context `portalSecretName`). @default a new secret */
  readonly portalCredentialsSecretName?: string;
  /** Existing webhook-signing secret name (context `webhookSecretName`). @default a new secret */
  readonly webhookSecretName?: string;
  /** Account-wide Open Dental portal budget, requests per second. @default 1 */
  readonly portalMaxRps?: number;
  /** Open Dental Developer Portal base URL. @default "https://api.opendental.com/api/v1" */
  readonly portalBaseUrl?: string;
  /** When reconciliation runs (EventBridge Scheduler expression). @default "rate(1 hour)" */
  readonly reconciliationSchedule?: string;
  /** Email address subscribed to the alarm topic (context `alarmEmail`). @default no subscription */
  readonly alarmEmail?: string;
  /** CRM mapping file, relative to the project (context `crmMappingFile`). @default config/crm-mapping.json */
  readonly crmMappingFile?: string;
  /** Existing CRM provider secret name (context `crmProviderSecretName`). @default a new secret */
  readonly crmProviderSecretName?: string;
  /** Grace period of a CRM "churned" request, seconds (context `offboardingGraceSeconds`). @default 7 days */
  readonly offboardingGraceSeconds?: number;
  /** CRM offboarding only with `ops approve-offboarding` (context `offboardingRequiresApproval`). @default false */
  readonly offboardingRequiresApproval?: boolean;
  /**
   * First deploy of a table deployed before key custody: keep its old `byStatus` index while the new one is
   * built (README "Upgrading"). @default false
   */
  readonly keepLegacyStatusIndex?: boolean;
  /**
   * Issue an activation link on every PracticeOnboarded (context `autoIssueActivationLinks`). The URL is never
   * handed out: the vendor sends one from `ops activation-link --json`, which re-issues. @default false
   */
  readonly autoIssueActivationLinks?: boolean;
}

/** Wires the constructs together; each concern lives in its own construct file. */
export class PracticeOnboardingStack extends Stack {
  readonly practiceTable: PracticeTable;
  readonly secrets: PortalSecrets;
  readonly onboarding: OnboardingWorkflow;
  readonly offboarding: OffboardingWorkflow;
  readonly claimRelease: ClaimRelease;
  readonly reconciliation: ReconciliationWorkflow;
  readonly reconciliationSchedule: ReconciliationSchedule;
  readonly webhookApi: WebhookApi;
  readonly offboardingRequests: OffboardingRequestWorkflow;
  readonly crmProviders: CrmProviderRoutes;
  readonly activationPage: ActivationPage;
  /** Present when `autoIssueActivationLinks` is on. */
  readonly activationAutoIssue?: ActivationAutoIssue;
  readonly events: DomainEventBus;
  readonly outbox: DomainEventOutbox;
  readonly operations: OperationsAlarms;
  readonly operatorPolicy: OperatorPolicy;
  readonly keyAdministratorPolicy: KeyAdministratorPolicy;
  readonly keyCustody: KeyCustody;

  constructor(scope: Construct, id: string, props: PracticeOnboardingStackProps = {}) {
    super(scope, id, props);
    const encryption = new EncryptionKey(this, "Encryption");
    const { key } = encryption;
    this.events = new DomainEventBus(this, "Events", { archive: {} });
    this.practiceTable = new PracticeTable(this, "Practices", {
      encryptionKey: key,
      ...(props.keepLegacyStatusIndex ? { keepLegacyStatusIndex: true } : {}),
    });
    this.outbox = new DomainEventOutbox(this, "Outbox", {
      table: this.practiceTable,
      eventBus: this.events,
      encryptionKey: key,
    });
    this.secrets = new PortalSecrets(this, "Secrets", {
      encryptionKey: key,
      portalCredentialsSecretName: props.portalCredentialsSecretName,
      webhookSecretName: props.webhookSecretName,
    });

    this.onboarding = new OnboardingWorkflow(this, "Onboarding", {
      table: this.practiceTable,
      portalCredentials: this.secrets.portalCredentials,
      encryptionKey: key,
      portalMaxRps: props.portalMaxRps,
      portalBaseUrl: props.portalBaseUrl,
    });

    this.offboarding = new OffboardingWorkflow(this, "Offboarding", {
      table: this.practiceTable,
      portalCredentials: this.secrets.portalCredentials,
      encryptionKey: key,
      portalMaxRps: props.portalMaxRps,
      portalBaseUrl: props.portalBaseUrl,
    });

    this.claimRelease = new ClaimRelease(this, "ClaimRelease", {
      table: this.practiceTable,
      portalCredentials: this.secrets.portalCredentials,
      encryptionKey: key,
      onboardingStateMachine: this.onboarding.stateMachine,
      offboardingStateMachine: this.offboarding.stateMachine,
      portalEnvironment: this.onboarding.portalEnvironment,
    });

    this.reconciliation = new ReconciliationWorkflow(this, "Reconciliation", {
      table: this.practiceTable,
      portalCredentials: this.secrets.portalCredentials,
      encryptionKey: key,
      onboardingStateMachine: this.onboarding.stateMachine,
      offboardingStateMachine: this.offboarding.stateMachine,
      portalMaxRps: props.portalMaxRps,
      portalBaseUrl: props.portalBaseUrl,
    });
    this.reconciliationSchedule = new ReconciliationSchedule(this, "ReconciliationSchedule", {
      stateMachine: this.reconciliation.stateMachine,
      encryptionKey: key,
      scheduleExpression: props.reconciliationSchedule,
    });
    this.webhookApi = new WebhookApi(this, "CrmWebhook", {
      onboardingStateMachine: this.onboarding.stateMachine,
      webhookSecret: this.secrets.webhookSigning,
      encryptionKey: key,
      table: this.practiceTable.table,
    });
    this.offboardingRequests = new OffboardingRequestWorkflow(this, "OffboardingRequest", {
      offboardingStateMachine: this.offboarding.stateMachine,
      encryptionKey: key,
      requiresApproval: props.offboardingRequiresApproval,
      ...(props.offboardingGraceSeconds === undefined
        ? {}
        : { gracePeriod: Duration.seconds(Math.ceil(props.offboardingGraceSeconds)) }),
    });
    this.crmProviders = new CrmProviderRoutes(this, "CrmProviders", {
      api: this.webhookApi.api,
      onboardingStateMachine: this.onboarding.stateMachine,
      offboardingRequests: this.offboardingRequests,
      crmMapping: readCrmMappingText(props.crmMappingFile ?? DEFAULT_CRM_MAPPING_FILE),
      encryptionKey: key,
      providerSecretName: props.crmProviderSecretName,
    });
    this.activationPage = new ActivationPage(this, "ActivationPage", {
      api: this.webhookApi.api,
      stageUrl: this.webhookApi.url,
      table: this.practiceTable.table,
      encryptionKey: key,
    });
    if (props.autoIssueActivationLinks) {
      this.activationAutoIssue = new ActivationAutoIssue(this, "ActivationAutoIssue", {
        eventBus: this.events,
        table: this.practiceTable.table,
        encryptionKey: key,
      });
    }

    // Step Functions encrypts execution data with the state machines' key under the caller's permissions, and SQS
    // the dead letters under the sender's: the webhook and the schedule need that key for exactly what they start.
    encryption.grantExecutionData(this.webhookApi.function, this.onboarding.stateMachine);
    encryption.grantExecutionData(this.crmProviders.function, this.onboarding.stateMachine);
    encryption.grantExecutionData(this.crmProviders.function, this.offboardingRequests.stateMachine);
    encryption.grantExecutionData(
      this.offboardingRequests.startOffboarding.function,
      this.offboarding.stateMachine,
    );
    encryption.grantExecutionData(this.reconciliationSchedule.role, this.reconciliation.stateMachine);
    encryption.grantEncryptForQueue(
      this.reconciliationSchedule.role,
      this.reconciliationSchedule.deadLetterQueue,
    );

    this.keyCustody = new KeyCustody(this, "KeyCustody", { encryptionKey: key });
    this.grantKeyCustody();

    this.operations = new OperationsAlarms(this, "Operations", {
      encryptionKey: key,
      stateMachines: [
        { name: "Onboarding", stateMachine: this.onboarding.stateMachine },
        { name: "Offboarding", stateMachine: this.offboarding.stateMachine },
        { name: "Reconciliation", stateMachine: this.reconciliation.stateMachine },
        // A failed request leaves a churned practice's key enabled (and billed) until someone looks.
        { name: "OffboardingRequest", stateMachine: this.offboardingRequests.stateMachine },
      ],
      webhookApi: this.webhookApi.stage,
      webhookFunction: this.webhookApi.function,
      otherWebhookFunctions: [this.crmProviders.function],
      schedulerDeadLetterQueue: this.reconciliationSchedule.deadLetterQueue,
      claimReleaseDeadLetterQueue: this.claimRelease.deadLetterQueue,
      outboxDeadLetterQueue: this.outbox.deadLetterQueue,
      alarmEmail: props.alarmEmail,
    });

    this.operatorPolicy = new OperatorPolicy(this, "Operators", {
      stateMachines: [
        this.onboarding.stateMachine,
        this.offboarding.stateMachine,
        this.reconciliation.stateMachine,
        this.offboardingRequests.stateMachine,
      ],
      table: this.practiceTable.table,
      encryptionKey: key,
    });
    this.keyAdministratorPolicy = new KeyAdministratorPolicy(this, "KeyAdministrators", {
      portalSecret: this.secrets.portalCredentials,
      fingerprintSecret: this.keyCustody.fingerprintSecret,
      table: this.practiceTable.table,
      encryptionKey: key,
    });
    // `ops import` and `ops migrate-keys` write keys, so they encrypt them; no person's policy may decrypt one.
    this.keyAdministratorPolicy.policy.addStatements(
      this.keyCustody.encryptStatement(KEY_ADMINISTRATOR_POLICY_SIDS.encryptKeys),
    );

    new CfnOutput(this, STACK_OUTPUTS.tableName, { value: this.practiceTable.table.tableName });
    new CfnOutput(this, STACK_OUTPUTS.portalSecret, { value: this.secrets.portalCredentials.secretArn });
    new CfnOutput(this, STACK_OUTPUTS.webhookSecret, { value: this.secrets.webhookSigning.secretArn });
    new CfnOutput(this, STACK_OUTPUTS.onboarding, { value: this.onboarding.stateMachine.stateMachineArn });
    new CfnOutput(this, STACK_OUTPUTS.offboarding, {
      value: this.offboarding.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.offboardingRequest, {
      value: this.offboardingRequests.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.crmProviderSecret, {
      value: this.crmProviders.providerSecret.secretArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.reconciliation, {
      value: this.reconciliation.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.webhookUrl, {
      value: this.webhookApi.url,
      description: "POST CRM deliveries here",
    });
    new CfnOutput(this, STACK_OUTPUTS.activationBaseUrl, {
      value: this.activationPage.baseUrl,
      description: "Activation links start here (ops activation-link)",
    });
    new CfnOutput(this, STACK_OUTPUTS.eventBusName, { value: this.events.bus.eventBusName });
    new CfnOutput(this, STACK_OUTPUTS.alarmTopic, { value: this.operations.topic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.operatorPolicy, {
      value: this.operatorPolicy.policy.managedPolicyArn,
      description: "Attach to the role or SSO permission set of the people who run ops",
    });
    new CfnOutput(this, STACK_OUTPUTS.keyAdministratorPolicy, {
      value: this.keyAdministratorPolicy.policy.managedPolicyArn,
      description:
        "Attach, with the operator policy, to whoever runs ops import or needs status's live portal view",
    });
    new CfnOutput(this, STACK_OUTPUTS.portalBaseUrl, {
      value: props.portalBaseUrl ?? DEFAULT_OPEN_DENTAL_BASE_URL,
    });
    new CfnOutput(this, STACK_OUTPUTS.keyCustodyKey, { value: this.keyCustody.key.keyArn });
    new CfnOutput(this, STACK_OUTPUTS.keyFingerprintSecret, {
      value: this.keyCustody.fingerprintSecret.secretArn,
    });
  }

  /**
   * Who does what with a CustomerKey (docs/architecture.md §4): only the functions that first see a key (the
   * POST's answer, the portal listing) fingerprint it; every other function reads the fingerprint stored with
   * the practice or carried in the run's scratch.
   */
  private grantKeyCustody(): void {
    const custody = this.keyCustody;
    custody.grantFingerprint(this.onboarding.functions.createKey);
    custody.grantFingerprint(this.reconciliation.functions.listKeys);
    // The stored key is a ciphertext (§4 invariant 13): encrypted where the plaintext arrives (the POST's answer;
    // the listing's candidates and planned repairs), opened only to send it to the portal or to the office.
    custody.grantEncrypt(this.onboarding.functions.createKey);
    custody.grantEncrypt(this.reconciliation.functions.listKeys);
    custody.grantDecrypt(this.onboarding.functions.labelAndRecord);
    custody.grantDecrypt(this.onboarding.functions.reenableKey);
    custody.grantDecrypt(this.onboarding.functions.compensate);
    custody.grantDecrypt(this.offboarding.functions.disableKey);
    custody.grantDecrypt(this.claimRelease.function);
    custody.grantDecrypt(this.reconciliation.functions.repair);
    custody.grantDecrypt(this.activationPage.handler);
  }
}
