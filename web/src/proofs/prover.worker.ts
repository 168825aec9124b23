// The member page's prover, in a Web Worker so the page stays responsive: builds the group's
// tree, makes the Semaphore proof from the proving files served by the page's own origin
// (never from a CDN: the URLs are always given), and reports progress as it goes.
//
// In:  { signature, leaves: string[], group, scope: string, depth, wasmUrl, zkeyUrl }
// Out: { kind: "progress", step: "group" | "files" | "proving" }, then
//      { kind: "done", proof, commitment, seconds } or { kind: "error", message }
import { Group } from "@semaphore-protocol/group";
import { generateProof } from "@semaphore-protocol/proof";
import { identityFromSignature } from "./identity";

export interface ProveRequest {
  signature: string;
  leaves: string[];
  group: number;
  scope: string;
  depth: number;
  wasmUrl: string;
  zkeyUrl: string;
}

const post = (message: unknown): void => (self as unknown as Worker).postMessage(message);

self.onmessage = async (event: MessageEvent<ProveRequest>): Promise<void> => {
  const request = event.data;
  const started = performance.now();
  try {
    post({ kind: "progress", step: "group" });
    const identity = identityFromSignature(request.signature);
    const group = new Group(request.leaves.map((leaf) => BigInt(leaf)));
    const index = group.indexOf(identity.commitment);
    if (index < 0) {
      post({ kind: "error", code: "not_in_group", commitment: identity.commitment.toString() });
      return;
    }
    post({ kind: "progress", step: "files" });
    const [wasm, zkey] = await Promise.all(
      [request.wasmUrl, request.zkeyUrl].map(async (url) => {
        const answer = await fetch(url);
        if (!answer.ok) throw new Error(`${url}: HTTP ${answer.status}`);
        return new Uint8Array(await answer.arrayBuffer());
      }),
    );
    post({ kind: "progress", step: "proving" });
    const proof = await generateProof(
      identity,
      group.generateMerkleProof(index),
      BigInt(request.group),
      BigInt(request.scope),
      request.depth,
      // snarkjs reads in-memory files as { type: "mem", data }; the typings say string.
      { wasm: { type: "mem", data: wasm } as unknown as string, zkey: { type: "mem", data: zkey } as unknown as string },
    );
    post({
      kind: "done",
      proof,
      commitment: identity.commitment.toString(),
      seconds: (performance.now() - started) / 1000,
    });
  } catch (error) {
    post({ kind: "error", code: "failed", message: error instanceof Error ? error.message : String(error) });
  }
};
