// How a member's Semaphore identity comes from their wallet, shared by the Node helper
// (zk.mjs) and the member page's prover worker, so both derive the same commitment.
//
// The wallet signs IDENTITY_MESSAGE (personal_sign, EIP-191) once per programme; the identity's
// private key is the signature's r and s as 128 lower-case hex digits (v is left out: wallets
// write it as 0/1 or 27/28). Signing again on any device gives the same signature (RFC 6979
// deterministic ECDSA, as wallets sign) and so the same identity: nothing is stored.
import { Identity } from "@semaphore-protocol/identity"

/** The text the member's wallet signs; it names the programme so identities differ per programme. */
export function identityMessage(chainId, proofsAddress) {
    return (
        "MemberLedger private proofs\n\n" +
        "Sign to open your private membership identity for the programme " +
        `${String(proofsAddress).toLowerCase()} on chain ${chainId}.\n\n` +
        "This costs nothing and sends nothing. Sign it only on the programme's own member page: " +
        "whoever holds this signature can prove membership as you."
    )
}

/** The Semaphore identity of a 65-byte wallet signature ("0x" and 130 hex digits). */
export function identityFromSignature(signature) {
    if (typeof signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
        throw new TypeError("the signature must be 0x and 130 hex digits")
    }
    return new Identity(signature.slice(2, 130).toLowerCase())
}
