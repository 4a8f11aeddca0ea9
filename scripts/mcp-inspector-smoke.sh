#!/usr/bin/env bash
# Drive Airlock's MCP server with the MCP Inspector CLI (@modelcontextprotocol/inspector, --cli):
# list the tools and call `query`, over stdio (`airlock mcp --stdio`) and, when AIRLOCK_MCP_URL is
# set, over Streamable HTTP (`airlock serve`, /mcp) with the agent token as a bearer header.
#
# Needs: AIRLOCK_AGENT_TOKEN, and for stdio AIRLOCK_STORE_URL / AIRLOCK_UPSTREAM_URL (or a config).
# Optional: AIRLOCK_MCP_URL=http://127.0.0.1:8080/mcp, MCP_INSPECTOR=path/to/mcp-inspector (default:
# a local install, else `npx -y @modelcontextprotocol/inspector@1.0.3` — not a dependency of the
# project: v1 is the last that runs on Node 20, and it would add a minute and a Node >= 22 warning to `npm ci`).
# Exit: 0 passed, 1 failed, 77 MCP_INSPECTOR names a program that does not exist.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${MCP_INSPECTOR:-}" ]; then
  if [ ! -x "$MCP_INSPECTOR" ]; then
    echo "mcp-inspector-smoke: $MCP_INSPECTOR not found; unset MCP_INSPECTOR to run it with npx" >&2
    exit 77
  fi
  INSPECTOR=("$MCP_INSPECTOR")
elif [ -x node_modules/.bin/mcp-inspector ]; then
  INSPECTOR=(node_modules/.bin/mcp-inspector)
else
  INSPECTOR=(npx -y @modelcontextprotocol/inspector@1.0.3)
fi
: "${AIRLOCK_AGENT_TOKEN:?set AIRLOCK_AGENT_TOKEN to an agent token (airlock agents create NAME --json)}"
[ -f dist/src/cli/main.js ] || { echo "mcp-inspector-smoke: run npm run build first" >&2; exit 1; }

SQL="SELECT 'inspector' AS via, 1 + 1 AS two"

# check <what> <json>: tools/list must name every Airlock tool; tools/call must have executed the query
check() {
  node -e '
    const [what, text] = process.argv.slice(1);
    let doc;
    try { doc = JSON.parse(text); } catch { console.error(`${what}: not JSON: ${text.slice(0, 500)}`); process.exit(1); }
    if (what.endsWith("tools/list")) {
      const names = (doc.tools ?? []).map((t) => t.name).sort().join(",");
      const want = "approval_status,describe_table,explain,list_databases,list_tables,query";
      if (names !== want) { console.error(`${what}: tools ${names}, want ${want}`); process.exit(1); }
    } else {
      const s = doc.structuredContent ?? {};
      const row = (s.rows ?? [])[0] ?? {};
      if (doc.isError || s.status !== "executed" || row.via !== "inspector" || row.two !== "2") {
        console.error(`${what}: unexpected result ${text.slice(0, 500)}`); process.exit(1);
      }
    }
    console.log(`ok  ${what}`);
  ' "$1" "$2"
}

stdio=("${INSPECTOR[@]}" -e "AIRLOCK_AGENT_TOKEN=$AIRLOCK_AGENT_TOKEN")
[ -n "${AIRLOCK_STORE_URL:-}" ] && stdio+=(-e "AIRLOCK_STORE_URL=$AIRLOCK_STORE_URL")
[ -n "${AIRLOCK_UPSTREAM_URL:-}" ] && stdio+=(-e "AIRLOCK_UPSTREAM_URL=$AIRLOCK_UPSTREAM_URL")
stdio+=(--cli node bin/airlock.js mcp --stdio)

check "stdio tools/list" "$("${stdio[@]}" --method tools/list)"
check "stdio tools/call query" "$("${stdio[@]}" --method tools/call --tool-name query --tool-arg "sql=$SQL")"

if [ -n "${AIRLOCK_MCP_URL:-}" ]; then
  http=("${INSPECTOR[@]}" --cli "$AIRLOCK_MCP_URL" --transport http --header "Authorization: Bearer $AIRLOCK_AGENT_TOKEN")
  check "http tools/list" "$("${http[@]}" --method tools/list)"
  check "http tools/call query" "$("${http[@]}" --method tools/call --tool-name query --tool-arg "sql=$SQL")"
fi
