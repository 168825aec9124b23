// Finding the member's wallet: EIP-6963 announcements first (several wallets can live in one
// browser), then the legacy `window.ethereum` (EIP-1193) as a fallback.

export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
  on?(event: string, listener: (...args: any[]) => void): void;
  removeListener?(event: string, listener: (...args: any[]) => void): void;
}

export interface WalletInfo {
  uuid: string;
  name: string;
  icon: string;
  rdns: string;
}

export interface Wallet {
  info: WalletInfo;
  provider: Eip1193Provider;
}

interface AnnounceEvent extends Event {
  detail: { info: WalletInfo; provider: Eip1193Provider };
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

/** Wallets that announce themselves within `waitMs`; `window.ethereum` if none does. */
export function discoverWallets(waitMs = 300): Promise<Wallet[]> {
  return new Promise((resolve) => {
    const found = new Map<string, Wallet>();
    const onAnnounce = (event: Event) => {
      const { info, provider } = (event as AnnounceEvent).detail ?? {};
      if (info?.uuid && provider && typeof provider.request === "function") {
        found.set(info.uuid, { info, provider });
      }
    };
    window.addEventListener("eip6963:announceProvider", onAnnounce);
    window.dispatchEvent(new Event("eip6963:requestProvider"));
    window.setTimeout(() => {
      window.removeEventListener("eip6963:announceProvider", onAnnounce);
      const wallets = [...found.values()];
      if (wallets.length === 0 && window.ethereum) {
        wallets.push({
          info: { uuid: "window.ethereum", name: "Browser wallet", icon: "", rdns: "" },
          provider: window.ethereum,
        });
      }
      resolve(wallets);
    }, waitMs);
  });
}

/** The EIP-1193 / JSON-RPC error code inside `error` (viem wraps the wallet's error). */
export function errorCode(error: unknown): number | undefined {
  let current: any = error;
  for (let depth = 0; current && depth < 8; depth += 1) {
    if (typeof current.code === "number" && current.code !== 0) return current.code;
    // MetaMask reports an unknown chain inside data.originalError.
    const original = current.data?.originalError;
    if (original && typeof original.code === "number") return original.code;
    current = current.cause;
  }
  return undefined;
}

/** EIP-1193 4001: the member said no in their wallet. */
export const USER_REJECTED = 4001;
/** EIP-3326: the wallet does not know the chain; add it first. */
export const UNKNOWN_CHAIN = 4902;
