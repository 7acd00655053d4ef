#!/usr/bin/env bash
# Runs one of the app's commands (tools/Matching.Commands), building it first when it is not built:
#   scripts/matching.sh --help
#   scripts/matching.sh generate --out /tmp/synthetic.jsonl --seed 42
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tool_dll="$repo_root/tools/Matching.Commands/bin/Debug/net10.0/Matching.Commands.dll"
[[ -f "$tool_dll" ]] || dotnet build "$repo_root/tools/Matching.Commands/Matching.Commands.csproj" -c Debug -nologo -v quiet >&2
exec dotnet "$tool_dll" "$@"
