#!/usr/bin/env bash
# Builds the deployable Functions package: a linux-x64 ReadyToRun publish (framework-dependent, run by
# `dotnet Matching.Functions.dll` as host.json says), host.json and one folder per function, zipped with
# exec bits kept. Prints the zip's size.
#   scripts/package.sh [output.zip]     (default: artifacts/matching-functions.zip)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"
zip_path="${1:-artifacts/matching-functions.zip}"
out="artifacts/package"
rm -rf "$out"
dotnet publish functions/Matching.Functions.csproj -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=true -o "$out" -nologo -v quiet
dotnet "$out/Matching.Functions.dll" zip --from "$out" --to "$zip_path"
