#!/bin/sh
# Creates the key files a Kura node keeps in DATA_DIR/keys, each only if it is missing:
#   jwt-ed25519.pem         signs Kura's JWTs and portal sessions (PKCS#8 Ed25519, as
#                           `openssl genpkey` writes it)
#   flight-tickets.key      32 random bytes: MAC of Flight tickets
#   delta-sharing-urls.key  32 random bytes: MAC of Delta Sharing file URLs
# One process creates them itself on first start. Several processes behind one load balancer
# must hold the same files, or a token, session or ticket from one is refused by another: make
# them once with this script and give every process the same folder (compose: a shared volume;
# Kubernetes: a Secret, see deploy/README.md).
#
#   deploy/make-keys.sh DIR
set -eu
dir=${1:?usage: make-keys.sh DIR}
umask 077
mkdir -p "$dir"
if [ ! -s "$dir/jwt-ed25519.pem" ]; then
  openssl genpkey -algorithm ed25519 -out "$dir/jwt-ed25519.pem.tmp"
  mv "$dir/jwt-ed25519.pem.tmp" "$dir/jwt-ed25519.pem"
fi
for name in flight-tickets.key delta-sharing-urls.key; do
  if [ ! -s "$dir/$name" ]; then
    head -c 32 /dev/urandom > "$dir/$name.tmp"
    mv "$dir/$name.tmp" "$dir/$name"
  fi
done
ls -l "$dir"
