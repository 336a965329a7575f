#!/usr/bin/env bash
# Node 22 (see tools/ensure-node.sh, which installs every supported version); its path is printed.
exec bash "$(dirname "$0")/ensure-node.sh" 22
