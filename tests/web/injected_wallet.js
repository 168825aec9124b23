// A test wallet injected into the page before it loads (Playwright add_init_script): an
// EIP-1193 provider announced through EIP-6963 (and as window.ethereum) that holds one of
// Anvil's unlocked accounts. It forwards everything that touches the chain to Anvil, which
// really signs (eth_sendTransaction, eth_signTypedData_v4); it plays the wallet's own part
// (accounts, networks, watched assets) itself. `window.__walletSettings` configures it:
//   account   the member's address           rpcUrl   Anvil's URL
//   chainId   the wallet's network (hex)     knownChains  networks it can switch to
//   reject    methods the member refuses (EIP-1193 error 4001)
//   name      wallet name announced          legacy   also set window.ethereum
// and, to behave like the wallets members really use (tests/web/test_real_wallets.py):
//   announceDelayMs  announce through EIP-6963 only this long after load
//   mobileErrors     report an unknown chain as MetaMask Mobile does: -32603 with the 4902
//                    inside data.originalError
//   signatureForm    "low-v" (v = 0/1, Ledger through MetaMask) or "compact" (EIP-2098)
//   unsupported      methods the wallet does not have (EIP-1193 error 4200)
// window.__wallet.switchAccount(address) and .disconnect() play the member's own actions.
(() => {
  const settings = window.__walletSettings;
  const listeners = {};
  const calls = [];
  const known = new Set(settings.knownChains);
  let chainId = settings.chainId;
  let account = settings.account;
  let rpcId = 0;

  const fail = (code, message, data) => Object.assign(new Error(message), { code, data });
  const emit = (event, value) => (listeners[event] || []).forEach((listener) => listener(value));

  async function forward(method, params) {
    const response = await fetch(settings.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params: params ?? [] }),
    });
    const answer = await response.json();
    if (answer.error) throw fail(answer.error.code, answer.error.message, answer.error.data);
    return answer.result;
  }

  const provider = {
    isMemberLedgerTestWallet: true,
    on(event, listener) {
      (listeners[event] ||= []).push(listener);
    },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] || []).filter((l) => l !== listener);
    },
    async request({ method, params }) {
      calls.push({ method, params: params ?? null });
      if (settings.reject.includes(method)) throw fail(4001, "User rejected the request.");
      if ((settings.unsupported || []).includes(method)) throw fail(4200, `The wallet does not support ${method}.`);
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [account];
        case "eth_chainId":
          return chainId;
        case "net_version":
          return String(parseInt(chainId, 16));
        case "wallet_switchEthereumChain": {
          const wanted = params[0].chainId;
          if (!known.has(wanted)) {
            const message = `Unrecognized chain ID "${wanted}".`;
            if (settings.mobileErrors) {
              throw fail(-32603, "Internal JSON-RPC error.", { originalError: { code: 4902, message } });
            }
            throw fail(4902, message);
          }
          if (wanted !== chainId) {
            chainId = wanted;
            emit("chainChanged", chainId);
          }
          return null;
        }
        case "wallet_addEthereumChain":
          known.add(params[0].chainId);
          return null;
        case "wallet_watchAsset":
          return true;
        case "eth_sendTransaction":
          if (chainId !== settings.rpcChainId) throw fail(4901, "The wallet is on another chain.");
          return forward(method, params);
        case "eth_signTypedData_v4": {
          if (chainId !== settings.rpcChainId) throw fail(4901, "The wallet is on another chain.");
          const signature = await forward(method, params);
          return reshape(signature);
        }
        default:
          return forward(method, params);
      }
    },
  };

  function reshape(signature) {
    const hex = signature.slice(2);
    const v = parseInt(hex.slice(128), 16);
    if (settings.signatureForm === "low-v") return `0x${hex.slice(0, 128)}${(v - 27).toString(16).padStart(2, "0")}`;
    if (settings.signatureForm === "compact") {
      const s = BigInt(`0x${hex.slice(64, 128)}`) | (BigInt(v - 27) << 255n);
      return `0x${hex.slice(0, 64)}${s.toString(16).padStart(64, "0")}`;
    }
    return signature;
  }

  window.__wallet = {
    calls,
    provider,
    switchAccount(address) {
      account = address;
      emit("accountsChanged", [address]);
    },
    disconnect() {
      emit("disconnect", fail(4900, "The wallet is disconnected."));
    },
  };
  if (settings.legacy) window.ethereum = provider;
  if (settings.announce) {
    const info = Object.freeze({
      uuid: settings.uuid,
      name: settings.name,
      icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxIDEiPjxyZWN0IHdpZHRoPSIxIiBoZWlnaHQ9IjEiIGZpbGw9IiNmNjg1MWIiLz48L3N2Zz4=",
      rdns: "org.memberledger.testwallet",
    });
    const announce = () =>
      window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
    const start = () => {
      window.addEventListener("eip6963:requestProvider", announce);
      announce();
    };
    if (settings.announceDelayMs) setTimeout(start, settings.announceDelayMs);
    else start();
  }
})();
