// The KMS exceptions the local KMS raises, named as KMS names them (the `__type` of the AWS JSON protocol), so
// the real SDK throws the same errors locally as on AWS.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html#API_Decrypt_Errors
import { AwsServiceError } from "../aws-service-errors.js";

/** The ciphertext was not produced by this KMS, was altered, or the encryption context differs. */
export class InvalidCiphertextException extends AwsServiceError {
  override readonly name = "InvalidCiphertextException";
}
/** Decrypt named a KeyId that is not the key the ciphertext was encrypted under. */
export class IncorrectKeyException extends AwsServiceError {
  override readonly name = "IncorrectKeyException";
}
/** No key or alias with that identifier. */
export class NotFoundException extends AwsServiceError {
  override readonly name = "NotFoundException";
}
/** The key is disabled (`Enabled: false` in the template). */
export class DisabledException extends AwsServiceError {
  override readonly name = "DisabledException";
}
/** The operation does not fit the key (e.g. Encrypt with an asymmetric or HMAC key). */
export class InvalidKeyUsageException extends AwsServiceError {
  override readonly name = "InvalidKeyUsageException";
}
/** The caller's policies do not allow the action on the key. */
export class AccessDeniedException extends AwsServiceError {
  override readonly name = "AccessDeniedException";
}
