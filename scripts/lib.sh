# Shared by run.sh and test.sh: installs the pinned Azurite (and, for the tests, the OpenAPI linter) with npm ci
# when the lock file changed.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
azurite_dir="$repo_root/tools/azurite"
azurite_bin="$azurite_dir/node_modules/.bin/azurite"

ensure_azurite() {
  local stamp="$azurite_dir/node_modules/.installed-lock"
  if [[ ! -x "$azurite_bin" || ! -f "$stamp" ]] || ! cmp -s "$azurite_dir/package-lock.json" "$stamp"; then
    echo "Installing Azurite (npm ci in tools/azurite)..."
    (cd "$azurite_dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$azurite_dir/package-lock.json" "$stamp"
  fi
}

# The OpenAPI linter the tests run (Redocly CLI), pinned the same way.
lint_dir="$repo_root/tools/openapi-lint"
ensure_openapi_lint() {
  local stamp="$lint_dir/node_modules/.installed-lock"
  if [[ ! -x "$lint_dir/node_modules/.bin/redocly" || ! -f "$stamp" ]] || ! cmp -s "$lint_dir/package-lock.json" "$stamp"; then
    echo "Installing the OpenAPI linter (npm ci in tools/openapi-lint)..."
    (cd "$lint_dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$lint_dir/package-lock.json" "$stamp"
  fi
}

wait_for_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if (( SECONDS >= deadline )); then return 1; fi
    sleep 0.1
  done
}
