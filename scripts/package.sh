#!/usr/bin/env bash
# Builds the deployable package for Flex Consumption: the isolated worker's linux-x64 ReadyToRun publish
# (framework-dependent) with what the worker SDK generates beside it (functions.metadata, worker.config.json,
# extensions.json and the .azurefunctions extension folder) and host.json, zipped with exec bits kept.
# Prints the zip's size.
#   scripts/package.sh [output.zip]     (default: artifacts/matching-functions.zip)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"
zip_path="${1:-artifacts/matching-functions.zip}"
out="artifacts/package"
rm -rf "$out"
dotnet publish functions/Matching.Functions.csproj -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=true -o "$out" -nologo -v quiet
# The zip is made by the commands tool (the build machine may have no zip tool); the package itself holds no commands.
dotnet build tools/Matching.Commands/Matching.Commands.csproj -c Release -nologo -v quiet
dotnet tools/Matching.Commands/bin/Release/net10.0/Matching.Commands.dll zip --from "$out" --to "$zip_path"
