#!/bin/sh
# The MCP Inspector's CLI (@modelcontextprotocol/inspector-cli, pinned), run from its own build folder:
# 1.0.3 looks for its package.json relative to the working directory, not to itself.
#   ./inspector-cli.sh http://127.0.0.1:8000/mcp --method tools/list
#   ./inspector-cli.sh /path/mission-control bridge --url http://127.0.0.1:8000/mcp --method prompts/get --prompt-name p
cd "$(dirname "$0")/node_modules/@modelcontextprotocol/inspector-cli/build" && exec node index.js "$@"
