#!/usr/bin/env bash
# The Debian package, as an operator gets it: builds it from the release build (cpack), checks its
# control data and file list, unpacks it into a scratch root (dpkg -x: nothing is installed on
# this machine), runs the unpacked binary's --version and a replay of the sample day from the
# unpacked paths only, and checks the systemd unit with systemd-analyze where that works.
# Usage: tests/package/run.sh            (BUILD_DIR defaults to build/release)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
repo=$PWD
build=${BUILD_DIR:-build/release}
build=$(cd "$build" && pwd) || { echo "no build directory $build" >&2; exit 2; }
built="$build/adapters/cli/xinyipi"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  if [[ -n ${2:-} ]]; then sed 's/^/     /' <<<"$2"; fi
}
check() {  # check "what" command...
  local what=$1; shift
  local out
  if out=$("$@" 2>&1); then pass "$what"; else fail "$what" "$out"; fi
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
deb="$build/xinyipi_${version}_amd64.deb"
rm -f "$deb"
if (cd "$build" && cpack -G DEB) >"$scratch/cpack.log" 2>&1 && [[ -f $deb ]]; then
  pass "cpack -G DEB makes $(basename "$deb")"
else
  fail "cpack -G DEB makes xinyipi_${version}_amd64.deb" "$(tail -20 "$scratch/cpack.log")"
  echo "$passed passed, $failed failed"
  exit 1
fi

# Control data.
field() { dpkg-deb -f "$deb" "$1"; }
check "the package is named xinyipi" test "$(field Package)" = xinyipi
check "its version is the project's ($version)" test "$(field Version)" = "$version"
check "it is built for amd64" test "$(field Architecture)" = amd64
check "its dependencies come from dpkg-shlibdeps (hiredis among them)" \
  grep -q 'libhiredis' <<<"$(field Depends)"
check "it recommends redis-server" grep -qx 'redis-server' <<<"$(field Recommends)"
check "it names a maintainer" grep -q '@' <<<"$(field Maintainer)"
check "/etc/default/xinyipi is its only conffile" \
  test "$(dpkg-deb -I "$deb" conffiles 2>&1)" = /etc/default/xinyipi

# File list.
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./#/#' >"$scratch/files"
for path in /usr/bin/xinyipi /usr/share/xinyipi/profiles/shilong.json \
  /usr/share/xinyipi/profiles/qingzhou.json /usr/share/xinyipi/calendars/cn-2026.json \
  /usr/share/xinyipi/samples/day.jsonl /lib/systemd/system/xinyipi.service \
  /etc/default/xinyipi /etc/xinyipi/ /usr/share/doc/xinyipi/README.md \
  /usr/share/doc/xinyipi/docs/operations.md; do
  check "the package holds $path" grep -qx "$path" "$scratch/files"
done
check "/etc/xinyipi/ is shipped empty" \
  test "$(grep -c '^/etc/xinyipi/.' "$scratch/files")" = 0
check "nothing of the build's own (packaging, systemd) is under /usr/share/xinyipi" \
  test "$(grep -cE '^/usr/share/xinyipi/(packaging|systemd)' "$scratch/files")" = 0
check "every file is under /usr, /etc or /lib/systemd" \
  test "$(grep -vcE '^/$|^/lib/$|^/(usr|etc|lib/systemd)/' "$scratch/files")" = 0

# Unpacked into a scratch root, run from there.
root="$scratch/root"
dpkg -x "$deb" "$root"
installed="$root/usr/bin/xinyipi"
check "the unpacked binary finds all its libraries on the system" \
  bash -c "! ldd '$installed' | grep -q 'not found'"
commit=unknown
if git -C "$repo" rev-parse --short HEAD >/dev/null 2>&1; then
  commit=$(git -C "$repo" rev-parse --short HEAD)
fi
expected="xinyipi $version (contract 1.1, commit $commit)"
got=$(env -u XYP_CONFIG_DIR "$installed" --version 2>&1)
if [[ $got == "$expected" ]]; then pass "--version prints \"$expected\""; else
  fail "--version prints \"$expected\"" "got: $got (a build configured at another commit? scripts/build.sh release)"
fi

# The replay takes no path: the unpacked binary must find <root>/usr/share/xinyipi by itself.
# Its output, but the "# config:" line naming the files it loaded, is compared with the build
# tree's replay of the source files.
env -u XYP_CONFIG_DIR "$installed" replay >"$scratch/installed.out" 2>"$scratch/installed.err"
installed_rc=$?
"$built" replay --profile config/profiles/shilong.json --events config/samples/day.jsonl \
  --calendars config/calendars >"$scratch/built.out" 2>"$scratch/built.err"
built_rc=$?
config_line=$(grep '^# config:' "$scratch/installed.out")
expected_line="# config: profile $root/usr/share/xinyipi/profiles/shilong.json, calendars $root/usr/share/xinyipi/calendars"
if [[ $config_line == "$expected_line" ]]; then
  pass "replay without paths loads the unpacked profile and calendars"
else
  fail "replay without paths loads the unpacked profile and calendars" "got: $config_line"
fi
drop_config() { grep -v '^# config:' "$1"; }
if [[ $installed_rc == "$built_rc" && -s $scratch/built.out ]] &&
  cmp -s <(drop_config "$scratch/installed.out") <(drop_config "$scratch/built.out"); then
  pass "replay of the unpacked sample day prints what the build tree's replay prints"
else
  fail "replay of the unpacked sample day prints what the build tree's replay prints" \
    "exit $installed_rc vs $built_rc; $(diff <(drop_config "$scratch/installed.out") <(drop_config "$scratch/built.out") | head -5)
$(head -3 "$scratch/installed.err")"
fi
# The source folder is on this machine too (the binary's last fallback): shorten the unpacked
# sample day to prove that the replay above read the unpacked one.
head -n 8 "$root/usr/share/xinyipi/samples/day.jsonl" >"$scratch/short.jsonl"
cp "$scratch/short.jsonl" "$root/usr/share/xinyipi/samples/day.jsonl"
env -u XYP_CONFIG_DIR "$installed" replay >"$scratch/installed-short.out" 2>/dev/null
"$built" replay --profile config/profiles/shilong.json --events "$scratch/short.jsonl" \
  --calendars config/calendars >"$scratch/built-short.out" 2>/dev/null
if cmp -s <(drop_config "$scratch/installed-short.out") <(drop_config "$scratch/built-short.out") &&
  ! cmp -s "$scratch/installed-short.out" "$scratch/installed.out"; then
  pass "the unpacked binary reads the unpacked sample day, not the source folder's"
else
  fail "the unpacked binary reads the unpacked sample day, not the source folder's"
fi

# A plain `cmake --install` (a user's, outside the package) stays under its prefix: the
# service's files with fixed system paths are the package's only. DESTDIR keeps a mistake here.
if DESTDIR="$scratch/plain" cmake --install "$build" --prefix /usr >/dev/null 2>&1 &&
  [[ $(ls "$scratch/plain") == usr && -x $scratch/plain/usr/bin/xinyipi ]]; then
  pass "a plain cmake --install writes nothing outside its prefix"
else
  fail "a plain cmake --install writes nothing outside its prefix" "$(ls "$scratch/plain" 2>&1)"
fi

# The unit and its environment file.
unit="$root/lib/systemd/system/xinyipi.service"
defaults="$root/etc/default/xinyipi"
missing=""
# shellcheck disable=SC2016  # the unit's own $VARIABLES, literally
for var in $(grep -oE '\$\{?XYP_[A-Z_]+' "$unit" | tr -d '${' | sort -u); do
  grep -q "^$var=" "$defaults" || missing+=" $var"
done
if [[ -z $missing ]]; then pass "every variable the unit uses is set in /etc/default/xinyipi"; else
  fail "every variable the unit uses is set in /etc/default/xinyipi" "missing:$missing"
fi
check "the unit runs as a dynamic unprivileged user" grep -qx 'DynamicUser=yes' "$unit"
check "the unit restarts on failure" grep -qx 'Restart=on-failure' "$unit"
# shellcheck disable=SC2016
check "the unit's reload sends SIGHUP (calendars read again)" \
  grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit"
check "the unit reads /etc/default/xinyipi" grep -qx 'EnvironmentFile=/etc/default/xinyipi' "$unit"

# systemd-analyze verify prints its complaints (unknown keys, bad values, missing programs) and
# still exits 0 for some: any output is a failure. It checks that ExecStart's program exists, so
# a copy of the unit points at the unpacked binary. Where systemd-analyze cannot verify even a
# trivial unit (a container without systemd), the check is skipped.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$scratch/units"
  printf '[Unit]\nDescription=probe\n[Service]\nExecStart=/bin/true\n' >"$scratch/units/xyp-probe.service"
  if probe=$(systemd-analyze verify "$scratch/units/xyp-probe.service" 2>&1) && [[ -z $probe ]]; then
    sed "s#/usr/bin/xinyipi#$installed#" "$unit" >"$scratch/units/xinyipi.service"
    if out=$(systemd-analyze verify "$scratch/units/xinyipi.service" 2>&1) && [[ -z $out ]]; then
      pass "systemd-analyze verify accepts xinyipi.service"
    else
      fail "systemd-analyze verify accepts xinyipi.service" "$out"
    fi
  else
    echo "skip systemd-analyze verify: it does not work here ($(head -1 <<<"$probe"))"
  fi
else
  echo "skip systemd-analyze verify: systemd-analyze is not installed"
fi

echo "package: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB, $(grep -vc '/$' "$scratch/files") files"
echo "$passed passed, $failed failed"
((failed == 0))
