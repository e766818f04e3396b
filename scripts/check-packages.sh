#!/usr/bin/env bash
# What npm users get from each public package, checked as npm would pack it: publint (package.json
# fields against the files shipped), Are the Types Wrong (types resolve the same as the code under
# every TypeScript module resolution), and the LICENSE copy. One line per package and tool; a failure
# prints the tool's full report and fails the script. Needs `npm run build` first.
#
# attw profile `strict`: every package ships CommonJS plus an ES-module wrapper and keeps top-level
# `main`/`types` for the old `node10` resolution, so all four resolutions (node10, node16 from CJS and
# from ESM, bundler) must work; `node16` would stop checking node10 and `esm-only` the CommonJS side.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/node_modules/.bin
packages=(core router disk redis s3 gcs azure-blob redis-semantic qdrant test-suite)
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

verdict() { # tool package status
  if [ "$3" -eq 0 ]; then
    printf '  %-8s %-22s ok\n' "$1" "@llmcache/$2"
  else
    printf '  %-8s %-22s FAILED\n' "$1" "@llmcache/$2"
    grep -v 'Unknown user config' "$out" | sed 's/^/    /'
    failed=1
  fi
}

echo "package checks (publint --strict, attw --pack --profile strict, LICENSE):"
for p in "${packages[@]}"; do
  dir=packages/$p
  (cd "$dir" && "$bin/publint" --strict) >"$out" 2>&1
  verdict publint "$p" $?
  (cd "$dir" && "$bin/attw" --pack . --profile strict --format ascii --no-emoji --no-color) >"$out" 2>&1
  verdict attw "$p" $?
  # npm ships a LICENSE found in the package folder whatever `files` says; it must be the root one.
  { cmp "$root/LICENSE" "$dir/LICENSE" &&
    (cd "$dir" && npm pack --dry-run --json 2>/dev/null) | node -e '
      const [pack] = JSON.parse(require("fs").readFileSync(0, "utf8"));
      if (!pack.files.some((f) => f.path === "LICENSE")) { console.error("LICENSE is not in the tarball"); process.exit(1); }'
  } >"$out" 2>&1
  verdict license "$p" $?
done
exit "$failed"
