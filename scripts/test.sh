#!/usr/bin/env bash
# Runs every test: restores, builds (warnings are errors: Directory.Build.props), runs each test project (the functional tests'
# fixture starts its own Azurite on free ports, in memory, and stops it; the notification tests also start smtp4dev), and ends with the line
#   N passed, N failed, N skipped
# Exits non-zero on any failure.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

ensure_azurite || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
ensure_openapi_lint || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
ensure_oidc_provider || { echo "0 passed, 1 failed, 0 skipped"; exit 1; } # the local OpenID provider the sign-in tests start
ensure_dotnet_tools || { echo "0 passed, 1 failed, 0 skipped"; exit 1; } # smtp4dev, which the notification tests start
ensure_chromium || { echo "0 passed, 1 failed, 0 skipped"; exit 1; } # the tests that open pages in a browser
if ! dotnet build Matching.sln -c Release -nologo -v quiet; then
  echo "Build failed."
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

passed=0; failed=0; skipped=0; status=0
mkdir -p artifacts
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  log="artifacts/$name.log"
  echo "== $name"
  dotnet test "$project" -c Release --no-build --nologo 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  summary="$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+' "$log" | tail -n 1)"
  if [[ -z "$summary" ]]; then
    echo "$name: the test run ended without a summary (exit code $rc)."
    failed=$((failed + 1)); status=1; continue
  fi
  f=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
  p=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$summary")
  s=$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$summary")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if (( rc != 0 || f > 0 )); then status=1; fi
done

echo "$passed passed, $failed failed, $skipped skipped"
exit $status
