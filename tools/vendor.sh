#!/usr/bin/env bash
# Vendor the web console's front-end libraries as plain files (no bundler, no CDN).
#
# Fetches the pinned packages with `npm pack` (registry tarballs, no install scripts run),
# copies exactly the files the console serves into service/web/static/vendor/, each
# package's licence into vendor/LICENSES/, and writes vendor/MANIFEST.json with the
# SHA-256 of every vendored file as stored. tests/web/test_vendor.py checks the result.
#
# Usage: make vendor   (or: bash tools/vendor.sh). Needs npm and python3.
set -euo pipefail

HTMX_VERSION="2.0.11"      # latest 2.0.x:  npm view htmx.org versions
BPMN_JS_VERSION="18.31.1"  # latest:        npm view bpmn-js version
# The API's interactive docs (/docs, /redoc; RELIEF_API_DOCS), served from here, not a CDN.
SWAGGER_UI_VERSION="5.36.0"  # latest 5.x:  npm view swagger-ui-dist version
REDOC_VERSION="2.5.4"        # latest 2.x (FastAPI's pages are written for it): npm view redoc@2 version

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/service/web/static/vendor"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

cd "$TMP"
npm pack --silent "htmx.org@${HTMX_VERSION}" >/dev/null
npm pack --silent "bpmn-js@${BPMN_JS_VERSION}" >/dev/null
npm pack --silent "swagger-ui-dist@${SWAGGER_UI_VERSION}" >/dev/null
npm pack --silent "redoc@${REDOC_VERSION}" >/dev/null
mkdir htmx bpmn-js swagger-ui-dist redoc
tar -xzf "htmx.org-${HTMX_VERSION}.tgz" -C htmx
tar -xzf "bpmn-js-${BPMN_JS_VERSION}.tgz" -C bpmn-js
tar -xzf "swagger-ui-dist-${SWAGGER_UI_VERSION}.tgz" -C swagger-ui-dist
tar -xzf "redoc-${REDOC_VERSION}.tgz" -C redoc

# The packed package.json must carry the version we asked for.
for pkg in htmx:"$HTMX_VERSION" bpmn-js:"$BPMN_JS_VERSION" swagger-ui-dist:"$SWAGGER_UI_VERSION" redoc:"$REDOC_VERSION"; do
  dir="${pkg%%:*}" want="${pkg#*:}"
  got="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$dir/package/package.json")"
  [ "$got" = "$want" ] || { echo "vendor.sh: $dir is $got, expected $want" >&2; exit 1; }
done

# Start from an empty vendor dir so files dropped from this list do not linger.
rm -rf "$VENDOR"
mkdir -p "$VENDOR/LICENSES"

cp htmx/package/dist/htmx.min.js                                "$VENDOR/htmx.min.js"
cp bpmn-js/package/dist/bpmn-navigated-viewer.production.min.js "$VENDOR/bpmn-navigated-viewer.production.min.js"
cp bpmn-js/package/dist/assets/diagram-js.css                   "$VENDOR/diagram-js.css"
cp bpmn-js/package/dist/assets/bpmn-js.css                      "$VENDOR/bpmn-js.css"
# The flow editor (/flows/{key}/edit): the modeler and the icon font of its palette and
# context pad. bpmn-embedded.css carries the font inline (woff/ttf as data: URIs); its first
# @font-face only names legacy .eot/.svg files (formats no current browser loads) that we do
# not ship, so that block is cut: every url() left is inline data and no request can 404.
cp bpmn-js/package/dist/bpmn-modeler.production.min.js          "$VENDOR/bpmn-modeler.production.min.js"
python3 - bpmn-js/package/dist/assets/bpmn-font/css/bpmn-embedded.css "$VENDOR/bpmn-embedded.css" <<'PY'
import re
import sys
from pathlib import Path

text = Path(sys.argv[1]).read_text(encoding="utf-8")
legacy = re.compile(r"@font-face\s*\{[^}]*bpmn\.eot[^}]*\}\s*")
assert len(legacy.findall(text)) == 1, "bpmn-embedded.css changed shape; look again"
text = legacy.sub("", text, count=1)
# The commented-out "Chrome hack" names the .svg font too: drop the comment.
text = re.sub(r"/\*\s*Chrome hack.*?\*/\s*/\*.*?\*/\s*/\*.*?\*/\s*", "", text, flags=re.S)
Path(sys.argv[2]).write_text(text, encoding="utf-8")
PY
cp htmx/package/LICENSE                                         "$VENDOR/LICENSES/htmx.org.txt"
cp bpmn-js/package/LICENSE                                      "$VENDOR/LICENSES/bpmn-js.txt"
cp swagger-ui-dist/package/swagger-ui-bundle.js                 "$VENDOR/swagger-ui-bundle.js"
cp swagger-ui-dist/package/swagger-ui.css                       "$VENDOR/swagger-ui.css"
cp redoc/package/bundles/redoc.standalone.js                    "$VENDOR/redoc.standalone.js"
# Apache-2.0: the licence and the NOTICE travel together.
cat swagger-ui-dist/package/LICENSE swagger-ui-dist/package/NOTICE > "$VENDOR/LICENSES/swagger-ui-dist.txt"
cp redoc/package/LICENSE                                        "$VENDOR/LICENSES/redoc.txt"

# The bpmn-font is shipped inline (bpmn-embedded.css above); the other two stylesheets must
# not refer to font files or imports, so no request for a font can 404.
if grep -Eq 'bpmn-font|\.woff2?|\.ttf|\.eot|@import' "$VENDOR/diagram-js.css" "$VENDOR/bpmn-js.css"; then
  echo "vendor.sh: a vendored stylesheet now refers to fonts/imports; vendor them too" >&2
  grep -En 'bpmn-font|\.woff2?|\.ttf|\.eot|@import' "$VENDOR/diagram-js.css" "$VENDOR/bpmn-js.css" >&2
  exit 1
fi

python3 - "$VENDOR" "$HTMX_VERSION" "$BPMN_JS_VERSION" "$SWAGGER_UI_VERSION" "$REDOC_VERSION" <<'PY'
import hashlib
import json
import sys
from pathlib import Path

vendor, htmx_version, bpmn_version = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
swagger_version, redoc_version = sys.argv[4], sys.argv[5]
packages = {
    "htmx.org": (htmx_version, "0BSD", ["htmx.min.js"]),
    "bpmn-js": (
        bpmn_version,
        "bpmn.io License (MIT with watermark clause)",
        [
            "bpmn-navigated-viewer.production.min.js",
            "diagram-js.css",
            "bpmn-js.css",
            "bpmn-modeler.production.min.js",
            "bpmn-embedded.css",
        ],
    ),
    "swagger-ui-dist": (
        swagger_version,
        "Apache-2.0",
        ["swagger-ui-bundle.js", "swagger-ui.css"],
    ),
    "redoc": (redoc_version, "MIT", ["redoc.standalone.js"]),
}
manifest = []
for name, (version, licence, files) in packages.items():
    for file in files:
        data = (vendor / file).read_bytes()
        manifest.append(
            {
                "name": name,
                "version": version,
                "file": file,
                "sha256": hashlib.sha256(data).hexdigest(),
                "license": licence,
                "source": f"npm:{name}@{version}",
            }
        )
(vendor / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
PY

echo "vendored into ${VENDOR#"$ROOT"/}:"
(cd "$VENDOR" && find . -type f | sort | xargs ls -l | awk '{printf "  %8d  %s\n", $5, $9}')
