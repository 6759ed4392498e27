#!/usr/bin/env bash
# Supply-chain and hygiene checks of what we ship; run by .ci/run after the tests, and
# locally with `npm run scan` (after `npm run build`).
#   1. secret scan of the tracked tree (scripts/secret-scan.mjs)
#   2. dependency audit of the production dependencies, failing on high or critical
#   3. an SBOM of the production dependencies (CycloneDX, `npm sbom`) in dist/sbom.cdx.json
#   4. `bastion doctor` of the default configuration must pass
# Lint with security rules is part of `npm test` (eslint.config.js).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== secret scan"
node scripts/secret-scan.mjs

echo "== dependency audit (production dependencies, high and critical fail)"
node scripts/dependency-audit.mjs

echo "== SBOM (CycloneDX)"
mkdir -p dist
npm sbom --sbom-format cyclonedx --omit dev 2>/dev/null > dist/sbom.cdx.json
node -e "const b=require('./dist/sbom.cdx.json'); if (b.bomFormat!=='CycloneDX' || !Array.isArray(b.components) || b.components.length===0) { console.error('SBOM is empty or malformed'); process.exit(1); } console.log('dist/sbom.cdx.json: ' + b.components.length + ' components')"

echo "== bastion doctor (default configuration)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && node "$OLDPWD/dist/cli/main.js" doctor)
echo "security scan: done"
