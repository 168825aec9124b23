// Build the member page into web/dist/: the TypeScript bundled by esbuild (no CDN, every
// library from node_modules), index.html and style.css copied beside it.
//   node web/build.mjs            one build
//   node web/build.mjs --watch    rebuild on change

import { build, context } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const dist = join(web, "dist");

const options = {
  entryPoints: {
    app: join(web, "src/main.ts"),
    commitment: join(web, "src/commitment.ts"),
    i18n: join(web, "src/i18n.ts"),
    // The private-proof prover runs in a Web Worker; the Semaphore libraries stay out of app.js.
    prover: join(web, "src/proofs/prover.worker.ts"),
    // The staff dashboard (/admin), its own bundle with its chart library.
    "admin/admin": join(web, "src/admin/main.ts"),
  },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["es2022"],
  minify: !process.env.ZK_DEBUG_BUILD,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
};

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await Promise.all(["index.html", "style.css"].map((name) => copyFile(join(web, name), join(dist, name))));
await mkdir(join(dist, "admin"), { recursive: true });
await copyFile(join(web, "admin.html"), join(dist, "admin", "index.html"));
await copyFile(join(web, "admin.css"), join(dist, "admin", "admin.css"));
// The proving files of the one tree depth the page proves at (2^20 members), from the pinned
// npm package, served by the page's own origin: the prover never fetches them from a CDN.
const ZK_DEPTH = 20;
const artifacts = join(web, "..", "node_modules", "@zk-kit", "semaphore-artifacts");
await mkdir(join(dist, "zk"), { recursive: true });
await Promise.all(
  ["wasm", "zkey"].map((kind) =>
    copyFile(join(artifacts, `semaphore-${ZK_DEPTH}.${kind}`), join(dist, "zk", `semaphore-${ZK_DEPTH}.${kind}`)),
  ),
);
if (process.argv.includes("--watch")) {
  await (await context(options)).watch();
  console.log("watching web/src for changes");
} else {
  await build(options);
  console.log(`built ${dist}`);
}
