#!/bin/sh
# Runs the demo (scripts/demo.sh, unchanged) with every lumicert command under valgrind memcheck: no invalid read or
# write, no use of uninitialised values, no definite or indirect leak. The demo runs in a scratch directory whose
# bin/lumicert is a wrapper calling valgrind on the plain build. Prints commands run and valgrind errors.
set -eu
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "valgrind_demo: valgrind is not installed (make deps)"; exit 1; }
# make asan leaves a sanitizer build at bin/lumicert (valgrind cannot run it): rebuild the plain one
if nm bin/lumicert 2> /dev/null | grep -q __asan_init; then rm -f bin/lumicert; fi
make -s bin/lumicert
T=$(mktemp -d /tmp/lc-vg.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/scripts" "$T/vg"
cp bin/lumicert "$T/lumicert.real"
cp scripts/demo.sh "$T/scripts/demo.sh"
ln -s "$PWD/data" "$T/data"
# LC_NN_KERNEL=portable: valgrind emulates fused multiply-adds slowly (the ML4DQM training took 266 s with the AVX2
# kernels, 50 s with the portable ones); the kernel sets share their loops, and make asan runs the whole suite
# with the machine's own kernel set
cat > "$T/bin/lumicert" <<EOF
#!/bin/sh
LC_NN_KERNEL=portable; export LC_NN_KERNEL
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --track-origins=yes --log-file="$T/vg/%p.log" "$T/lumicert.real" "\$@"
EOF
chmod +x "$T/bin/lumicert"
start=$(date +%s)
rc=0
sh "$T/scripts/demo.sh" > "$T/demo.log" 2>&1 || rc=$?
ncmd=$(ls "$T/vg" | wc -l)
# with -q valgrind writes nothing but errors and leaks: any line in a log is a finding
nerr=$(cat "$T/vg"/*.log | grep -c . || true)
[ "$nerr" -eq 0 ] || cat "$T/vg"/*.log
[ $rc -eq 0 ] || { tail -n 20 "$T/demo.log"; echo "valgrind_demo: the demo failed (exit $rc)"; }
echo "valgrind_demo: $ncmd lumicert commands under valgrind in $(( $(date +%s) - start ))s, $nerr lines of valgrind findings, demo exit $rc"
[ $rc -eq 0 ] && [ "$nerr" -eq 0 ]
