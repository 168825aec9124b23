// The gas-free relay's client: the member signs a consent change in their wallet
// (EIP-712), and the programme's relay sends it and pays the fee.

import type { Address, Hex, PublicClient, WalletClient } from "viem";

import { consentChangeTypes, EIP712_NAME, EIP712_VERSION, registryAbi } from "./abi";
import type { PageConfig } from "./config";

/** How long a gas-free consent signature stays valid. */
const SIGNATURE_LIFETIME_SECONDS = 600n;

/** What the relay answered: the transaction it sent, a refusal in its words, or silence. */
export type RelayOutcome = { txHash: Hex } | { refused: string } | { unavailable: true };

/** Ask the member to sign `flags` under `policyVersion`, and hand the signature to the relay. */
export async function relayConsent(
  reader: PublicClient,
  writer: WalletClient,
  config: PageConfig,
  account: Address,
  flags: number,
  policyVersion: number,
): Promise<RelayOutcome> {
  const [nonce, block] = await Promise.all([
    reader.readContract({ address: config.registry, abi: registryAbi, functionName: "nonces", args: [account] }),
    reader.getBlock(),
  ]);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const deadline = (block.timestamp > now ? block.timestamp : now) + SIGNATURE_LIFETIME_SECONDS;
  const message = { member: account, flags, policyVersion, nonce, deadline };
  const signature = await writer.signTypedData({
    account,
    domain: { name: EIP712_NAME, version: EIP712_VERSION, chainId: config.chainId, verifyingContract: config.registry },
    types: consentChangeTypes,
    primaryType: "ConsentChange",
    message,
  });
  let response: Response;
  try {
    response = await fetch(config.relayUrl!, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        chainId: config.chainId,
        verifyingContract: config.registry,
        member: account,
        flags,
        policyVersion,
        nonce: nonce.toString(),
        deadline: deadline.toString(),
        signature,
      }),
    });
  } catch {
    return { unavailable: true };
  }
  const answer = (await response.json().catch(() => null)) as { txHash?: Hex; message?: string } | null;
  if (response.ok && answer?.txHash) return { txHash: answer.txHash };
  const refused = response.status >= 400 && response.status < 500 && answer?.message;
  return refused ? { refused: answer!.message! } : { unavailable: true };
}
