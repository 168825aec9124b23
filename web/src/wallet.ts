// Finding the member's wallet: EIP-6963 announcements (several wallets can live in one
// browser, and some announce themselves late), and the legacy `window.ethereum` (EIP-1193)
// when nothing announces itself in time. Error codes as real wallets report them.

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

const LEGACY = "window.ethereum";

/** Watch for wallets: `onChange` gets the list after `waitMs` (empty if none), and again
 * whenever a wallet announces itself later (EIP-6963 lets a wallet answer at any time).
 * `window.ethereum` stands in while no wallet has announced itself. */
export function watchWallets(onChange: (wallets: Wallet[]) => void, waitMs = 300): void {
  const found = new Map<string, Wallet>();
  let settled = false;
  const list = (): Wallet[] => {
    const wallets = [...found.values()];
    if (wallets.length === 0 && window.ethereum) {
      wallets.push({ info: { uuid: LEGACY, name: "Browser wallet", icon: "", rdns: "" }, provider: window.ethereum });
    }
    return wallets;
  };
  window.addEventListener("eip6963:announceProvider", (event: Event) => {
    const { info, provider } = (event as AnnounceEvent).detail ?? {};
    if (!info?.uuid || !provider || typeof provider.request !== "function" || found.has(info.uuid)) return;
    found.set(info.uuid, { info, provider });
    if (settled) onChange(list());
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  window.setTimeout(() => {
    settled = true;
    onChange(list());
  }, waitMs);
}

/** The EIP-1193 / JSON-RPC error code inside `error`. A wallet's own code nested in
 * `data.originalError` (MetaMask Mobile wraps "unknown chain" 4902 in an outer -32603) wins
 * over any outer code; otherwise the outermost code viem's wrapping carries. */
export function errorCode(error: unknown): number | undefined {
  let outer: number | undefined;
  let current: any = error;
  for (let depth = 0; current && depth < 8; depth += 1) {
    const original = current.data?.originalError ?? current.error?.data?.originalError;
    if (original && typeof original.code === "number") return original.code;
    if (outer === undefined && typeof current.code === "number" && current.code !== 0) outer = current.code;
    current = current.cause ?? current.error;
  }
  return outer;
}

/** EIP-1193 4001: the member said no in their wallet. */
export const USER_REJECTED = 4001;
/** EIP-3326: the wallet does not know the chain; add it first. */
export const UNKNOWN_CHAIN = 4902;
/** EIP-1193 4200 and JSON-RPC -32601: the wallet does not support the method. */
export const UNSUPPORTED = [4200, -32601];
/** EIP-1193 4900/4901: the wallet is disconnected from every chain, or from this one. */
export const DISCONNECTED = [4900, 4901];
