// Errors the local Step Functions and Secrets Manager raise, named like the AWS exceptions (the `__type` the
// JSON endpoint returns), so the real SDK throws the same typed exceptions against the local stack as on AWS.

export abstract class AwsServiceError extends Error {
  /** HTTP status the AWS JSON protocol answers with. */
  readonly statusCode: number = 400;
}

export class ExecutionAlreadyExists extends AwsServiceError {
  override readonly name = "ExecutionAlreadyExists";
}
export class ExecutionDoesNotExist extends AwsServiceError {
  override readonly name = "ExecutionDoesNotExist";
}
export class StateMachineDoesNotExist extends AwsServiceError {
  override readonly name = "StateMachineDoesNotExist";
}
export class InvalidName extends AwsServiceError {
  override readonly name = "InvalidName";
}
export class InvalidArn extends AwsServiceError {
  override readonly name = "InvalidArn";
}
export class InvalidExecutionInput extends AwsServiceError {
  override readonly name = "InvalidExecutionInput";
}
export class InvalidToken extends AwsServiceError {
  override readonly name = "InvalidToken";
}
export class ValidationException extends AwsServiceError {
  override readonly name = "ValidationException";
}

/** Secrets Manager: the secret (or the requested version of it) does not exist. */
export class ResourceNotFoundException extends AwsServiceError {
  override readonly name = "ResourceNotFoundException";
}
/** Secrets Manager: a parameter is missing or malformed. */
export class InvalidParameterException extends AwsServiceError {
  override readonly name = "InvalidParameterException";
}
