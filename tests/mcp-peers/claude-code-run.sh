#!/usr/bin/env bash
# Runs the real Claude Code CLI (npm @anthropic-ai/claude-code, pinned in package.json) once in print
# mode, against a fake Anthropic API, with its OpenTelemetry export pointed at an OTLP/HTTP receiver.
#
#   claude-code-run.sh OTLP_ENDPOINT PROTOCOL API_URL [options]
#     OTLP_ENDPOINT  base URL, e.g. http://127.0.0.1:4318 (Claude Code appends /v1/logs, /v1/metrics,
#                    /v1/traces)
#     PROTOCOL       http/json | http/protobuf
#     API_URL        the fake Messages API (fake-anthropic.mjs), e.g. http://127.0.0.1:PORT
#   options:
#     --traces             also export spans (CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1, OTEL_TRACES_EXPORTER=otlp)
#     --header K=V         OTEL_EXPORTER_OTLP_HEADERS (e.g. 'Authorization=Bearer x'); repeatable
#     --gzip               OTEL_EXPORTER_OTLP_COMPRESSION=gzip
#     --shutdown-timeout-ms N  CLAUDE_CODE_OTEL_SHUTDOWN_TIMEOUT_MS (Claude Code's default 2000; values
#                          above 2000 do not extend its exit deadline, see notes)
#     --env K=V            any other variable for claude's environment (wins over the ones set
#                          here); repeatable
#     --session-id UUID    session.id of the run (default 0b5e55f0-0000-4000-8000-000000000001)
#     --prompt TEXT        the user prompt (default "use the echo tool")
#     --keep               keep the temporary HOME/work dir (its path is printed on stderr)
#     --timeout SECONDS    kill claude after this long (default 60; a run takes about 2 s)
#     --mcp-url URL        the MCP server is this Streamable HTTP endpoint (e.g. the host's /mcp),
#                          named by --mcp-name (default "mc"), instead of a stdio server-everything
#     --mcp-command JSON   the MCP server is this command (a JSON array: program and arguments, e.g.
#                          mission-control bridge), over stdio, named by --mcp-name
#     --mcp-name NAME      its name in Claude Code's MCP config
#     --mcp-header K:V     an HTTP header Claude Code sends it (e.g. 'Authorization: Bearer x')
#     --echo-tool NAME     the tool Claude Code may call without asking (default mcp__every__echo)
#
# The session: claude gets an MCP config with one stdio server named "every" (the pinned
# @modelcontextprotocol/server-everything), may call mcp__every__echo without asking, and the fake
# model makes it call that tool once and then answer "done". Claude's stdout (one JSON result) is
# passed through; its exit status is this script's. user.id is fixed (USER_ID below, written as the
# install id into the fresh config) and session.id is --session-id, so both are known to the caller.
#
# NETWORK: this script opens no namespace itself. The caller must already be inside one with only
# loopback (the C++ test runs `unshare -n`), so Claude Code cannot reach anything but the fake API and
# the receiver. The environment is built from scratch (env -i) so no credentials or settings of the
# calling shell leak in; HOME and CLAUDE_CONFIG_DIR are a fresh temporary directory.
# CLAUDE_CODE_MAX_RETRIES=0: an unreachable or failing API ends the run in about a second instead of
# minutes of retries. With a fast receiver Claude Code has delivered all its telemetry when it exits
# (it flushes at exit, for at most about 2 s).
set -euo pipefail

usage() { sed -n '2,35p' "$0" >&2; exit 2; }
[ $# -ge 3 ] || usage
otlp_endpoint=$1 protocol=$2 api_url=$3
shift 3
case $protocol in http/json|http/protobuf) ;; *) echo "claude-code-run: protocol must be http/json or http/protobuf, not '$protocol'" >&2; exit 2 ;; esac

traces=0 keep=0 timeout_s=60
session_id=0b5e55f0-0000-4000-8000-000000000001
USER_ID=feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface
prompt="use the echo tool"
headers=()
extra_env=()
mcp_url="" mcp_command="" mcp_name=mc mcp_header="" echo_tool=mcp__every__echo
while [ $# -gt 0 ]; do
  case $1 in
    --traces) traces=1 ;;
    --header) headers+=("$2"); shift ;;
    --gzip) extra_env+=(OTEL_EXPORTER_OTLP_COMPRESSION=gzip) ;;
    --shutdown-timeout-ms) extra_env+=("CLAUDE_CODE_OTEL_SHUTDOWN_TIMEOUT_MS=$2"); shift ;;
    --env) extra_env+=("$2"); shift ;;
    --session-id) session_id=$2; shift ;;
    --prompt) prompt=$2; shift ;;
    --keep) keep=1 ;;
    --timeout) timeout_s=$2; shift ;;
    --mcp-url) mcp_url=$2; shift ;;
    --mcp-command) mcp_command=$2; shift ;;
    --mcp-name) mcp_name=$2; shift ;;
    --mcp-header) mcp_header=$2; shift ;;
    --echo-tool) echo_tool=$2; shift ;;
    *) echo "claude-code-run: unknown option '$1'" >&2; usage ;;
  esac
  shift
done

peers=$(cd "$(dirname "$0")" && pwd)
node_bin=$(command -v node)
everything=$peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js
# The platform package holds the native binary; the wrapper's bin/claude.exe is a copy of it only when
# npm ran the wrapper's postinstall.
case $(uname -m) in x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
claude=$peers/node_modules/@anthropic-ai/claude-code-linux-$arch/claude
[ -x "$claude" ] || claude=$peers/node_modules/@anthropic-ai/claude-code/bin/claude.exe
for f in "$claude" "$everything"; do
  [ -e "$f" ] || { echo "claude-code-run: missing $f (run scripts/mcp-peers.sh)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/claude-code-run.XXXXXX")
if [ $keep = 1 ]; then echo "claude-code-run: keeping $tmp" >&2; else trap 'rm -rf "$tmp"' EXIT; fi
mkdir -p "$tmp/home/.claude" "$tmp/work"
# A fixed install id, so every run's user.id is the same (Claude Code makes a random one otherwise).
printf '{"userID": "%s"}\n' "$USER_ID" >"$tmp/home/.claude/.claude.json"
if [ -n "$mcp_command" ]; then
  # A JSON array: its first element is the command, the rest its arguments.
  "$node_bin" -e 'const [cmd, name] = process.argv.slice(1); const a = JSON.parse(cmd);
    console.log(JSON.stringify({mcpServers: {[name]: {type: "stdio", command: a[0], args: a.slice(1)}}}));' \
    "$mcp_command" "$mcp_name" >"$tmp/mcp.json"
elif [ -n "$mcp_url" ]; then
  header_json=""
  if [ -n "$mcp_header" ]; then
    name=${mcp_header%%:*} value=${mcp_header#*:}
    header_json=", \"headers\": {\"$name\": \"${value# }\"}"
  fi
  cat >"$tmp/mcp.json" <<EOF
{"mcpServers": {"$mcp_name": {"type": "http", "url": "$mcp_url"$header_json}}}
EOF
else
  cat >"$tmp/mcp.json" <<EOF
{"mcpServers": {"every": {"type": "stdio", "command": "$node_bin", "args": ["$everything", "stdio"]}}}
EOF
fi

if [ ${#headers[@]} -gt 0 ]; then
  extra_env+=("OTEL_EXPORTER_OTLP_HEADERS=$(IFS=,; echo "${headers[*]}")")
fi
if [ $traces = 1 ]; then
  extra_env+=(CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1 OTEL_TRACES_EXPORTER=otlp OTEL_TRACES_EXPORT_INTERVAL=500)
fi

cd "$tmp/work"
set +e
env -i \
  PATH="$(dirname "$node_bin"):/usr/local/bin:/usr/bin:/bin" \
  HOME="$tmp/home" CLAUDE_CONFIG_DIR="$tmp/home/.claude" TMPDIR="$tmp" \
  LANG=C.UTF-8 TERM=dumb \
  ANTHROPIC_BASE_URL="$api_url" ANTHROPIC_API_KEY=fake \
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CODE_MAX_RETRIES=0 \
  CLAUDE_CODE_ENABLE_TELEMETRY=1 \
  OTEL_LOGS_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp \
  OTEL_EXPORTER_OTLP_PROTOCOL="$protocol" OTEL_EXPORTER_OTLP_ENDPOINT="$otlp_endpoint" \
  OTEL_LOG_USER_PROMPTS=1 OTEL_LOG_ASSISTANT_RESPONSES=1 OTEL_LOG_TOOL_DETAILS=1 \
  OTEL_LOGS_EXPORT_INTERVAL=500 OTEL_METRIC_EXPORT_INTERVAL=1000 \
  "${extra_env[@]}" \
  timeout --kill-after=5 "$timeout_s" \
  "$claude" -p "$prompt" --output-format json \
    --session-id "$session_id" \
    --mcp-config "$tmp/mcp.json" --strict-mcp-config \
    --allowedTools "$echo_tool" \
    </dev/null
status=$?
set -e
exit $status
