#!/bin/sh
# Renders a report of the pixel data in headless Chromium: the DOM after the page's script ran holds the expected
# elements and body[data-ok] (set by the script at its end), the console shows no error (the check itself is shown
# to catch an injected one), and the screenshot is not blank. Prints "N passed, M failed"; prints SKIP and counts
# nothing only when chromium is not installed (CI installs it: scripts/deps.sh).
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
if [ -z "$CHROMIUM" ]; then
	echo "SKIP: report_dom.sh: chromium is not installed (apt-get install chromium), the headless render check did not run"
	echo "report_dom.sh: 0 passed, 0 failed"
	exit 0
fi
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
T=$(mktemp -d /tmp/lc-report-dom.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
# headless Chromium with a private profile; --no-sandbox because CI runs as root
chrome() { "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$T/profile" \
	--enable-logging=stderr --v=0 "$@"; }
# console errors and uncaught exceptions in a Chromium log
console_errors() { grep -E 'CONSOLE|Uncaught' "$1" | grep -viE 'favicon' ; }

DB=$T/px.db
$LC import $DB data/pixel-2017B/chargeInner_PXLayer_1.csv --label-columns y > /dev/null &&
	$LC train $DB -o $T/ae.lcm --me chargeInner_PXLayer_1 --runs 297050,297178 --good y > /dev/null &&
	$LC report $DB --model $T/ae.lcm --labels y --max-loss 0.01 --max-pollution 0.01 -o $T/report.html > /dev/null ||
	{ ko "set-up: import, train, report"; echo "report_dom.sh: $pass passed, $fail failed"; exit 1; }

chrome --dump-dom "file://$T/report.html" > "$T/dom.html" 2> "$T/log"
[ -s "$T/dom.html" ] && ok || { ko "chromium dumped no DOM"; sed 's/^/    /' "$T/log" | tail -5; }
grep -q '<body data-ok="1"' "$T/dom.html" && ok || ko "the page's script ran to its end (body[data-ok])"
errs=$(console_errors "$T/log")
[ -z "$errs" ] && ok || { ko "console errors"; echo "$errs" | head -5 | sed 's/^/    /'; }
for id in title summary overview-plot run-table runs run-297047 run-297675 details omitted curves score-dist roc \
	pollution-loss manual-work caps model-card tip; do
	grep -q "id=\"$id\"" "$T/dom.html" && ok || ko "element #$id in the DOM"
done
n=$(grep -o '<svg class="run"' "$T/dom.html" | wc -l)
[ "$n" -eq 15 ] && ok || ko "15 per-run plots (got $n)"
n=$(grep -o 'class="ls-detail"' "$T/dom.html" | wc -l)
[ "$n" -eq 40 ] && ok || ko "40 LS in detail (got $n)"
grep -q '<details class="ls-detail" id="ls-[0-9-]*" open=""' "$T/dom.html" && ok || ko "first details open"

# the console check catches an error: the same page with a broken script
sed 's|</body>|<script>no_such_function();</script></body>|' "$T/report.html" > "$T/broken.html"
chrome --dump-dom "file://$T/broken.html" > /dev/null 2> "$T/log2"
console_errors "$T/log2" | grep -q no_such_function && ok || ko "an injected script error is detected"

# screenshot: not blank (many colours, a good share of non-white pixels)
chrome --window-size=1200,2400 --screenshot="$T/shot.png" "file://$T/report.html" > /dev/null 2>&1
[ -s "$T/shot.png" ] && ok || ko "screenshot written"
$PY - "$T/shot.png" <<'PY' && ok || ko "screenshot is not blank"
import struct, sys, zlib
# decode a non-interlaced 8-bit RGB/RGBA PNG with the standard library, then count colours and non-white pixels
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat = 8, b''
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, nonwhite = bytearray(stride), set(), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 2):  # every other pixel is plenty
        px = bytes(line[x:x + 3])
        colours.add(px)
        nonwhite += px != b'\xff\xff\xff'
    prev = line
share = nonwhite / (h * w / 2)
print(f'screenshot {w}x{h}: {len(colours)} colours, {share:.1%} non-white')
sys.exit(0 if len(colours) >= 20 and share > 0.05 else 1)
PY

echo "report_dom.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
