// What the server tells the page (GET config.json): the chain, the contracts, the relay, the
// programme (name, operator, contact, logo, policy) and its words for tiers, consent purposes
// and rewards.

import type { Address } from "viem";
import type { ProofsConfig } from "./proofs/panel";

export interface ConsentPurpose {
  flag: number;
  words: string;
}

export interface Reward {
  id: number;
  description: string;
  /** The reward's name in other languages, by language tag. */
  names?: Record<string, string>;
}

export interface ProgrammeSettings {
  name: string;
  names?: Record<string, string>;
  operator: string;
  contactEmail: string;
  contactUrl: string | null;
  logoUrl: string | null;
  privacyPolicyUrl: string;
}

export interface PageConfig {
  chainId: number;
  chainName: string;
  rpcUrl: string;
  nativeCurrency: { name: string; symbol: string; decimals: number };
  registry: Address;
  points: Address;
  deployBlock: number;
  /** The gas-free relay's endpoints (POST), if the programme runs one. */
  consentRelayUrl: string | null;
  redeemRelayUrl: string | null;
  /** The operator's history endpoint (GET <historyUrl>/<wallet>), if it runs one. */
  historyUrl: string | null;
  phoneRegion: string | null;
  programme: ProgrammeSettings;
  tiers: Record<string, string>;
  consentPurposes: ConsentPurpose[];
  rewards: Reward[];
  /** Private proofs of membership, when deployed (null otherwise). */
  proofs: ProofsConfig | null;
}

export async function loadConfig(url = "config.json"): Promise<PageConfig> {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return (await response.json()) as PageConfig;
}
