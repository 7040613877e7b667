// CDK app entry (cdk.json). Context values are documented in the README's "Deploy" section.
import * as path from "node:path";
import { App } from "aws-cdk-lib";
import { loadCrmMappingFile } from "../functions/webhook/providers/crm-mapping.js";
import { buildApp, CONTEXT_KEYS } from "../lib/build-app.js";
import { DEFAULT_CRM_MAPPING_FILE } from "../lib/crm-provider-routes.js";
import { PROJECT_ROOT } from "../lib/handler-function.js";

const app = new App();
// The mapping's schema lives with the functions (lib/ may not import it): a bad mapping fails synth here, naming
// the path and what is wrong, before anything is deployed.
const mappingFile = app.node.tryGetContext(CONTEXT_KEYS.crmMappingFile) || DEFAULT_CRM_MAPPING_FILE;
loadCrmMappingFile(path.resolve(PROJECT_ROOT, String(mappingFile)));
buildApp(app);
