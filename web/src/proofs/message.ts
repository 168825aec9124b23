// The text a member's wallet signs (personal_sign) to open their private identity: the same
// as memberledger/proofs/js/identity.mjs (Node), which tests compare with this one. Kept apart
// from identity.ts so that the page bundle does not pull in the Semaphore libraries.

export function identityMessage(chainId: number, proofsAddress: string): string {
  return (
    "MemberLedger private proofs\n\n" +
    "Sign to open your private membership identity for the programme " +
    `${proofsAddress.toLowerCase()} on chain ${chainId}.\n\n` +
    "This costs nothing and sends nothing. Sign it only on the programme's own member page: " +
    "whoever holds this signature can prove membership as you."
  );
}
