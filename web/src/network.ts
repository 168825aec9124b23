// The wallet's side of the chain: which network it is on, switching (and adding) the
// programme's network, and a client that asks the wallet to sign and send.

import { createWalletClient, custom, numberToHex, type Address, type Chain, type WalletClient } from "viem";

import type { PageConfig } from "./config";
import { errorCode, UNKNOWN_CHAIN, type Eip1193Provider } from "./wallet";

/** The chain id the wallet is on. */
export async function walletChainId(provider: Eip1193Provider): Promise<number> {
  const chainId = (await provider.request({ method: "eth_chainId" })) as string;
  return Number.parseInt(chainId, 16);
}

/** Ask the wallet to switch to the programme's chain, adding it first if the wallet does not
 * know it (EIP-3085, EIP-3326). Throws the wallet's error when the member refuses. */
export async function switchToProgrammeChain(provider: Eip1193Provider, config: PageConfig): Promise<void> {
  const chainId = numberToHex(config.chainId);
  try {
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  } catch (error) {
    if (errorCode(error) !== UNKNOWN_CHAIN) throw error;
    await provider.request({
      method: "wallet_addEthereumChain",
      params: [
        {
          chainId,
          chainName: config.chainName,
          rpcUrls: [config.rpcUrl],
          nativeCurrency: config.nativeCurrency,
        },
      ],
    });
    if ((await walletChainId(provider)) !== config.chainId) {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    }
  }
}

/** A viem client that sends and signs through the member's wallet. */
export function walletClient(provider: Eip1193Provider, account: Address, chain: Chain): WalletClient {
  return createWalletClient({ account, chain, transport: custom(provider) });
}
