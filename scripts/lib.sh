# Shared by run.sh and test.sh: installs the pinned Azurite (and, for the tests, the OpenAPI linter) with npm ci
# when the lock file changed.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
azurite_dir="$repo_root/tools/azurite"
azurite_bin="$azurite_dir/node_modules/.bin/azurite"

# npm ci in a pinned tool's folder when its lock file changed since the last install (or it is missing).
ensure_npm_tool() { # folder, the binary it must provide, what to call it
  local dir="$1" bin="$2" label="$3" stamp="$1/node_modules/.installed-lock"
  if [[ ! -e "$bin" || ! -f "$stamp" ]] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "Installing $label (npm ci in ${dir#"$repo_root/"})..."
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

ensure_azurite() { ensure_npm_tool "$azurite_dir" "$azurite_bin" "Azurite"; }

# The OpenAPI linter the tests run (Redocly CLI), pinned the same way.
lint_dir="$repo_root/tools/openapi-lint"
ensure_openapi_lint() { ensure_npm_tool "$lint_dir" "$lint_dir/node_modules/.bin/redocly" "the OpenAPI linter"; }

# The local OpenID provider the pages sign in with (oidc-provider), pinned the same way.
oidc_dir="$repo_root/tools/oidc-provider"
ensure_oidc_provider() { ensure_npm_tool "$oidc_dir" "$oidc_dir/node_modules/oidc-provider/package.json" "the local OpenID provider"; }

# The pinned dotnet tools (.config/dotnet-tools.json): smtp4dev, the local mail server.
ensure_dotnet_tools() { (cd "$repo_root" && dotnet tool restore >/dev/null) || { echo "dotnet tool restore failed." >&2; return 1; }; }

# Debian's Chromium, for the tests that open pages in a real browser (never a browser download: the network is closed
# to those). Installed once with apt-get; a machine without apt-get or root needs it installed by hand.
ensure_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  echo "Installing Debian's chromium (apt-get)..."
  local sudo=""; (( EUID != 0 )) && sudo="sudo -n"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >/dev/null 2>&1
  [[ -x /usr/bin/chromium ]] || { echo "Could not install chromium: install Debian's chromium package by hand." >&2; return 1; }
}

wait_for_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if (( SECONDS >= deadline )); then return 1; fi
    sleep 0.1
  done
}
