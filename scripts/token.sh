#!/usr/bin/env bash
# Mints a local development token: scripts/token.sh --role ngo --org konexio [--sub id] [--hours 8]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"
app_dll="functions/bin/Debug/net10.0/Matching.Functions.dll"
[[ -f "$app_dll" ]] || dotnet build functions/Matching.Functions.csproj -c Debug -nologo -v quiet >&2
ASPNETCORE_ENVIRONMENT=Development dotnet "$app_dll" token "$@"
