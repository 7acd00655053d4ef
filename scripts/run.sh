#!/usr/bin/env bash
# Runs the backend locally: restores and builds, installs and starts Azurite, smtp4dev (the local mail server,
# whose page shows every mail the app sends) and the SMS sink (tools/sms-sink: Azure Communication Services' SMS API,
# whose page shows every text), starts the function app in the local host on http://localhost:7071, and stops them all
# when the app stops.
#   scripts/run.sh [--demo] [--in-memory] [--port N]
#     --demo       load the small fictional demo dataset
#     --in-memory  keep Azurite's data in memory (default: on disk under .azurite/, kept across restarts)
#     --port N     listen on N instead of 7071
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

demo=false; in_memory=false; port=7071
while (( $# )); do
  case "$1" in
    --demo) demo=true ;;
    --in-memory) in_memory=true ;;
    --port) port="$2"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "Unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

ensure_azurite
ensure_oidc_provider
ensure_dotnet_tools
# The app, and the commands tool beside it (scripts/token.sh).
dotnet build tools/Matching.Commands/Matching.Commands.csproj -c Debug -nologo -v quiet

smtp_port=2525; mail_web_port=5080; sms_port=5090; oidc_port=5100
for p in 10000 10001 10002 $smtp_port $mail_web_port $sms_port $oidc_port; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "Port $p is already in use: is another Azurite, smtp4dev, SMS sink or OpenID provider running? Stop it first." >&2; exit 1
  fi
done
azurite_args=(--silent --disableTelemetry --skipApiVersionCheck)
if $in_memory; then azurite_args+=(--inMemoryPersistence); else mkdir -p .azurite; azurite_args+=(--location .azurite); fi
"$azurite_bin" "${azurite_args[@]}" > .azurite.log 2>&1 &
azurite_pid=$!
# smtp4dev as a real relay would be: STARTTLS (its own self-signed certificate, which the app trusts) and a login.
mkdir -p .smtp4dev
dotnet smtp4dev --smtpport=$smtp_port --urls=http://localhost:$mail_web_port --db= --imapport=0 --pop3port=0 --nousersettings \
  --tlsmode=StartTls --hostname=localhost --user=matching=local-relay-secret --authenticationrequired \
  --baseappdatapath="$repo_root/.smtp4dev" > .smtp4dev.log 2>&1 &
smtp4dev_pid=$!
# The SMS sink checks each text's signature with a key made for this run, which the app signs with.
sms_key="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
SMS_SINK_ACCESS_KEY="$sms_key" node tools/sms-sink/sms-sink.mjs $sms_port > .sms-sink.log 2>&1 &
sms_pid=$!
# The local OpenID provider the pages sign in with (any name signs in; the demo's people have their names).
OIDC_REDIRECT_URIS="http://localhost:$port/signin-oidc" node tools/oidc-provider/provider.mjs $oidc_port > .oidc-provider.log 2>&1 &
oidc_pid=$!
cleanup() {
  kill "$azurite_pid" "$smtp4dev_pid" "$sms_pid" "$oidc_pid" 2>/dev/null || true; wait "$azurite_pid" "$smtp4dev_pid" "$sms_pid" "$oidc_pid" 2>/dev/null || true
  echo "Azurite, smtp4dev, the SMS sink and the OpenID provider stopped."
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for p in 10000 10001 10002; do
  wait_for_port 127.0.0.1 "$p" 20 || { echo "Azurite did not start; see .azurite.log" >&2; exit 1; }
done
for p in $smtp_port $mail_web_port; do
  wait_for_port 127.0.0.1 "$p" 60 || { echo "smtp4dev did not start; see .smtp4dev.log" >&2; exit 1; }
done
wait_for_port 127.0.0.1 $sms_port 20 || { echo "The SMS sink did not start; see .sms-sink.log" >&2; exit 1; }
wait_for_port 127.0.0.1 $oidc_port 20 || { echo "The OpenID provider did not start; see .oidc-provider.log" >&2; exit 1; }

export ASPNETCORE_ENVIRONMENT=Development
export AzureWebJobsStorage="UseDevelopmentStorage=true"
export Matching__LocalUrl="http://localhost:$port"
export Matching__SeedDemoData="$demo"
export Mail__Host=localhost Mail__Port=$smtp_port Mail__Security=StartTls Mail__UserName=matching Mail__Password=local-relay-secret
export Mail__TrustedCertificate="$repo_root/.smtp4dev/selfsigned-certificate.cer"
export Pages__SignIn__Authority="http://localhost:$oidc_port" Pages__SignIn__ClientId="matching-local"
export Sms__ConnectionString="endpoint=http://127.0.0.1:$sms_port/;accesskey=$sms_key" Sms__From="+33700000000"
app_dll="functions/bin/Debug/net10.0/Matching.Functions.dll"

cat <<TXT

  Matching is starting in the local host (Azurite: $([[ $in_memory == true ]] && echo "in memory" || echo "data in .azurite/")).
    API:            http://localhost:$port/api
    API reference:  http://localhost:$port/api/docs
    OpenAPI:        http://localhost:$port/api/openapi/v1.json
    Health:         http://localhost:$port/api/health
    Mail (smtp4dev): http://localhost:$mail_web_port  (every mail the app sends)
    SMS (sink):     http://localhost:$sms_port  (every text the app sends)
    A learner's page opens from their link: /l/<code> (see the README)
    Sign in (pages):  http://localhost:$port/moi  at the local OpenID provider, http://localhost:$oidc_port (any name)
  Get a development token (in another shell):
    scripts/token.sh --role ngo --org konexio
  Stop with Ctrl+C.

TXT
dotnet "$app_dll"
