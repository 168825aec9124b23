// The gas-free relay's client: the member signs a consent change or a redemption in their
// wallet (EIP-712), and the programme's relay sends it and pays the fee.

import type { Address, Hex, PublicClient, WalletClient } from "viem";

import {
  consentChangeTypes,
  EIP712_NAME,
  EIP712_VERSION,
  pointsAbi,
  POINTS_EIP712_NAME,
  POINTS_EIP712_VERSION,
  redeemRequestTypes,
  registryAbi,
} from "./abi";
import type { PageConfig } from "./config";

/** How long a gas-free signature stays valid: well past the relay's margin (a few
 * minutes after the latest block), well short of its 24-hour limit. */
const SIGNATURE_LIFETIME_SECONDS = 1800n;

/** The relay's codes for "it cannot work right now" rather than "it will not send this". */
const UNAVAILABLE = ["unavailable", "busy", "no_relay"];

/** What the relay answered: the transaction it sent, a refusal (its code and sentence), or
 * nothing usable. */
export type RelayOutcome = { txHash: Hex } | { refused: string; message: string } | { unavailable: true };

/** The 65-byte r ‖ s ‖ v (v 27/28) form of what a wallet returned: Ledger through MetaMask
 * gives v 0/1, some wallets EIP-2098's 64-byte compact form. Anything else (a contract
 * wallet's signature) is passed on as it is. */
export function normaliseSignature(signature: Hex): Hex {
  const hex = signature.slice(2);
  if (hex.length === 128) {
    const r = hex.slice(0, 64);
    const vs = BigInt(`0x${hex.slice(64)}`);
    const s = vs & ((1n << 255n) - 1n);
    const v = 27n + (vs >> 255n);
    return `0x${r}${s.toString(16).padStart(64, "0")}${v.toString(16)}` as Hex;
  }
  if (hex.length === 130) {
    const v = Number.parseInt(hex.slice(128), 16);
    if (v === 0 || v === 1) return `0x${hex.slice(0, 128)}${(v + 27).toString(16)}` as Hex;
  }
  return signature;
}

/** The deadline of a new signature: from the later of the chain's clock and the browser's. */
async function deadlineFrom(reader: PublicClient): Promise<bigint> {
  const block = await reader.getBlock();
  const now = BigInt(Math.floor(Date.now() / 1000));
  return (block.timestamp > now ? block.timestamp : now) + SIGNATURE_LIFETIME_SECONDS;
}

/** Ask the member to sign `flags` under `policyVersion`, and hand the signature to the relay. */
export async function relayConsent(
  reader: PublicClient,
  writer: WalletClient,
  config: PageConfig,
  account: Address,
  flags: number,
  policyVersion: number,
): Promise<RelayOutcome> {
  const [nonce, deadline] = await Promise.all([
    reader.readContract({ address: config.registry, abi: registryAbi, functionName: "nonces", args: [account] }),
    deadlineFrom(reader),
  ]);
  const message = { member: account, flags, policyVersion, nonce, deadline };
  const signature = await writer.signTypedData({
    account,
    domain: { name: EIP712_NAME, version: EIP712_VERSION, chainId: config.chainId, verifyingContract: config.registry },
    types: consentChangeTypes,
    primaryType: "ConsentChange",
    message,
  });
  return send(config.consentRelayUrl!, {
    chainId: config.chainId,
    verifyingContract: config.registry,
    member: account,
    flags,
    policyVersion,
    nonce: nonce.toString(),
    deadline: deadline.toString(),
    signature: normaliseSignature(signature),
  });
}

/** Ask the member to sign a redemption of `rewardId` at the `cost` they were shown, and hand
 * the signature to the relay: if the catalogue changes meanwhile, nothing is charged. */
export async function relayRedemption(
  reader: PublicClient,
  writer: WalletClient,
  config: PageConfig,
  account: Address,
  rewardId: bigint,
  cost: bigint,
): Promise<RelayOutcome> {
  const [nonce, deadline] = await Promise.all([
    reader.readContract({ address: config.points, abi: pointsAbi, functionName: "nonces", args: [account] }),
    deadlineFrom(reader),
  ]);
  const message = { member: account, rewardId, cost, nonce, deadline };
  const signature = await writer.signTypedData({
    account,
    domain: { name: POINTS_EIP712_NAME, version: POINTS_EIP712_VERSION, chainId: config.chainId, verifyingContract: config.points },
    types: redeemRequestTypes,
    primaryType: "RedeemRequest",
    message,
  });
  return send(config.redeemRelayUrl!, {
    chainId: config.chainId,
    verifyingContract: config.points,
    member: account,
    rewardId: rewardId.toString(),
    cost: cost.toString(),
    nonce: nonce.toString(),
    deadline: deadline.toString(),
    signature: normaliseSignature(signature),
  });
}

/** POST a signed request to the relay; what it answered. */
async function send(url: string, body: Record<string, unknown>): Promise<RelayOutcome> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    return { unavailable: true };
  }
  const answer = (await response.json().catch(() => null)) as { txHash?: Hex; error?: string; message?: string } | null;
  if (response.ok && answer?.txHash) return { txHash: answer.txHash };
  // A refusal names its reason (a paused programme is a 503 with a reason of its own); a
  // relay that cannot reach the chain, or an answer without a reason, is "unavailable".
  if (response.status >= 400 && answer?.error && answer.message && !UNAVAILABLE.includes(answer.error)) {
    return { refused: answer.error, message: answer.message };
  }
  return { unavailable: true };
}
