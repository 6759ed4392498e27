#!/usr/bin/env bash
# `npm pack` from a never-built clone must still ship dist/ (prepack builds it).
# Clones the committed tree into a scratch folder, reuses this checkout's node_modules,
# and fails unless the packed file list holds the CLI entry point.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone -q . "$scratch/repo"
ln -s "$PWD/node_modules" "$scratch/repo/node_modules"
(cd "$scratch/repo" && npm pack --dry-run --json 2>&1 >&3 | tail -n 3 >&2) 3>&1 | node -e '
  const files = JSON.parse(require("fs").readFileSync(0, "utf8"))[0].files.map((f) => f.path);
  if (!files.includes("dist/cli/main.js")) { console.error("npm pack: dist/cli/main.js is missing"); process.exit(1); }
  console.log(`npm pack from a fresh clone: ${files.length} files, dist/cli/main.js included`);
'
