// CDK app entry (cdk.json). Context values are documented in the README's "Deploy" section.
import { App } from "aws-cdk-lib";
import { buildApp } from "../lib/build-app.js";

buildApp(new App());
