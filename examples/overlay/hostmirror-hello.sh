#!/bin/sh
# Proof that the overlay arrived: prints the overlay's version and config.
echo "hostmirror overlay: $(cat /etc/hostmirror/VERSION 2>/dev/null || echo missing)"
cat /etc/hostmirror/config.yml 2>/dev/null
