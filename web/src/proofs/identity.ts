// The member's Semaphore identity from their wallet's signature: the same rule as
// memberledger/proofs/js/identity.mjs (the Node side), which tests compare with this one.
import { Identity } from "@semaphore-protocol/identity";

export { identityMessage } from "./message";

/** The identity of a 65-byte signature: its r and s as 128 lower-case hex digits. */
export function identityFromSignature(signature: string): Identity {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new TypeError("the signature must be 0x and 130 hex digits");
  }
  return new Identity(signature.slice(2, 130).toLowerCase());
}
