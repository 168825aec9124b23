// Preloaded into Node (NODE_OPTIONS=--import=...) by tests/proofs: every way Node reaches the
// network records the attempt in $ZK_NETWORK_LOG and throws, so a test can prove that the
// prover never downloads anything (e.g. the proving files from a CDN).
import { appendFileSync } from "node:fs"
import { syncBuiltinESMExports } from "node:module"
import http from "node:http"
import https from "node:https"
import net from "node:net"
import tls from "node:tls"
import dns from "node:dns"

function refuse(what) {
    return (...args) => {
        const target = typeof args[0] === "string" ? args[0] : (args[0]?.href ?? JSON.stringify(args[0] ?? ""))
        appendFileSync(process.env.ZK_NETWORK_LOG ?? "/dev/stderr", `${what} ${target}\n`)
        throw new Error(`network blocked by the test: ${what} ${target}`)
    }
}

globalThis.fetch = async (...args) => refuse("fetch")(String(args[0]))
for (const [name, module] of [["http", http], ["https", https]]) {
    module.request = refuse(`${name}.request`)
    module.get = refuse(`${name}.get`)
}
net.connect = net.createConnection = refuse("net.connect")
tls.connect = refuse("tls.connect")
dns.lookup = refuse("dns.lookup")
syncBuiltinESMExports()
