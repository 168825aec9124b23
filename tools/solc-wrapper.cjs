#!/usr/bin/env node
// A `solc` command-line stand-in backed by solc-js (npm `solc`), for py-solc-x, ape-solidity
// and crytic-compile on machines that cannot download native compiler binaries.
//
// It answers the two calls those tools make:
//   solc --version
//   solc --standard-json [--base-path P] [--include-path P]... [--allow-paths ...] < input.json
// and ignores the flags it does not need. Sources given by `urls` (crytic-compile's form)
// and imports not in the input are read from disk through solc-js's import callback,
// relative to the base path, the include paths and the working directory.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require(path.join(__dirname, "..", "node_modules", "solc"));

function parseArgs(argv) {
  const opts = { standardJson: false, version: false, basePath: null, includePaths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case "--version": opts.version = true; break;
      case "--standard-json": opts.standardJson = true; break;
      case "--base-path": opts.basePath = value(); break;
      case "--include-path": opts.includePaths.push(value()); break;
      case "--allow-paths": value(); break;
      default: break; // other flags (--optimize etc.) come inside the standard JSON
    }
  }
  return opts;
}

function makeReader(opts) {
  const roots = [opts.basePath, ...opts.includePaths, process.cwd()].filter(Boolean);
  return (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      try {
        return { contents: fs.readFileSync(candidate, "utf8") };
      } catch (_) { /* try the next root */ }
    }
    return { error: `File not found: ${importPath} (looked in ${roots.join(", ")})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(
      `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
    );
    return 0;
  }
  if (!opts.standardJson) {
    process.stderr.write("solc-wrapper: only --version and --standard-json are supported\n");
    return 1;
  }
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const read = makeReader(opts);
  for (const [name, source] of Object.entries(input.sources || {})) {
    if (source.content === undefined && Array.isArray(source.urls)) {
      const found = source.urls.map(read).find((r) => r.contents !== undefined);
      input.sources[name] = found ? { content: found.contents } : source;
    }
  }
  const output = solc.compile(JSON.stringify(input), { import: read });
  // One write of the whole document: solcjs's own CLI truncates large piped output.
  fs.writeSync(1, output);
  return 0;
}

process.exitCode = main();
