// The Semaphore v4 side of private proofs, for Python: one command per run, a JSON object on
// standard input, a JSON object on standard output ({"error": sentence} and exit status 1 on
// a mistake). Python cannot compute Poseidon trees or Groth16 proofs the way the circuit
// does; the Semaphore libraries can, so every root and proof comes from them.
//
//   node zk.mjs roots     {"groups": [["<commitment>", ...], ...]}
//                      -> {"roots": ["<root>", ...], "sizes": [n, ...]}
//   node zk.mjs identity  {"signatures": ["0x<65-byte wallet signature>", ...]}
//                      -> {"commitments": ["<commitment>", ...]}
//   node zk.mjs prove     {"signature", "leaves", "message", "scope", "depth", "wasm", "zkey"}
//                      -> a Semaphore proof (merkleTreeDepth, merkleTreeRoot, nullifier,
//                         message, scope, points), numbers as decimal strings
//   node zk.mjs verify    {"proof": {...}} -> {"valid": true|false}
//   node zk.mjs message   {"chainId": n, "proofs": "0x<address>"} -> {"message": text to sign}
//
// Numbers are decimal strings (uint256 values do not fit JSON numbers). The prover is always
// given the local .wasm and .zkey paths: the library's default, fetching them from a CDN, is
// never taken (prove refuses to run without both paths).
import { readFileSync, existsSync } from "node:fs"
import { Group } from "@semaphore-protocol/group"
import { generateProof, verifyProof } from "@semaphore-protocol/proof"
import { identityFromSignature, identityMessage } from "./identity.mjs"

function fail(message) {
    process.stdout.write(JSON.stringify({ error: message }) + "\n")
    process.exit(1)
}

function bigints(values, name) {
    if (!Array.isArray(values)) fail(`${name} must be a list`)
    return values.map((value, i) => {
        try {
            return BigInt(value)
        } catch {
            fail(`${name}[${i}] is not a whole number: ${JSON.stringify(value)}`)
        }
    })
}

const commands = {
    roots(input) {
        if (!Array.isArray(input.groups)) fail("groups must be a list of lists")
        const roots = []
        const sizes = []
        for (const [i, leaves] of input.groups.entries()) {
            const group = new Group(bigints(leaves, `groups[${i}]`))
            roots.push(group.root === undefined ? "0" : group.root.toString())
            sizes.push(group.size)
        }
        return { roots, sizes }
    },

    identity(input) {
        if (!Array.isArray(input.signatures)) fail("signatures must be a list")
        return { commitments: input.signatures.map((s) => identityFromSignature(s).commitment.toString()) }
    },

    async prove(input) {
        for (const name of ["wasm", "zkey"]) {
            if (typeof input[name] !== "string" || !existsSync(input[name])) {
                fail(`the proving file ${name} is missing (${input[name]}): run make setup`)
            }
        }
        const identity = identityFromSignature(input.signature)
        const group = new Group(bigints(input.leaves, "leaves"))
        const index = group.indexOf(identity.commitment)
        if (index < 0) fail("this identity is not in the group: register it, then wait for the next publication")
        const proof = await generateProof(
            identity,
            group.generateMerkleProof(index),
            BigInt(input.message),
            BigInt(input.scope),
            Number(input.depth),
            { wasm: input.wasm, zkey: input.zkey }
        )
        return proof
    },

    async verify(input) {
        return { valid: await verifyProof(input.proof) }
    },

    message(input) {
        return { message: identityMessage(input.chainId, input.proofs) }
    }
}

const command = commands[process.argv[2]]
if (!command) fail(`unknown command ${JSON.stringify(process.argv[2])}: use ${Object.keys(commands).join(", ")}`)
let input
try {
    input = JSON.parse(readFileSync(0, "utf8"))
} catch (error) {
    fail(`the input is not JSON: ${error.message}`)
}
try {
    process.stdout.write(JSON.stringify(await command(input)) + "\n")
    process.exit(0)
} catch (error) {
    fail(error.message ?? String(error))
}
