#!/usr/bin/env bash
# Mints a local development token: scripts/token.sh --role ngo --org konexio [--sub id] [--hours 8]
set -euo pipefail
ASPNETCORE_ENVIRONMENT=Development exec "$(dirname "${BASH_SOURCE[0]}")/matching.sh" token "$@"
