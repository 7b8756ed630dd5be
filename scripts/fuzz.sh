#!/usr/bin/env bash
# Builds every libFuzzer target (a CMake target named *_fuzz, configured by -DFORESIGHT_BUILD_FUZZ=ON)
# with clang in build-fuzz, then runs each for a bounded time. Exit 1 if any target found a crash.
#
#   scripts/fuzz.sh                     # every *_fuzz target, 60 s each
#   scripts/fuzz.sh 600                 # 10 min each
#   scripts/fuzz.sh 60 'line_protocol*' # only targets matching the glob
#   FUZZ_FLAGS='-jobs=2 -workers=2' scripts/fuzz.sh   # extra libFuzzer flags
#
# Per target <t>: seeds from src/**/<t>_corpus/, dictionary src/**/<t>.dict (both optional); the growing
# corpus is kept in build-fuzz/corpus/<t>/ across runs; crash inputs land in build-fuzz/artifacts/<t>/
# (reproduce: build-fuzz/.../<t> build-fuzz/artifacts/<t>/crash-...). CC/CXX pick the compiler,
# else the newest clang on PATH; `apt-get install clang` provides one.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
pattern=${2:-*}
build=${FUZZ_BUILD_DIR:-build-fuzz}

find_clang() {  # $1 = clang or clang++: that name on PATH, else the highest-numbered clang-N / clang++-N
  if command -v "$1" >/dev/null; then command -v "$1"; return; fi
  local c v best="" best_v=-1
  for c in $(compgen -c "$1-" | sort -u); do
    v=${c#"$1-"}
    if [[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt "$best_v" ]; then best=$c best_v=$v; fi
  done
  echo "$best"
}
cc=${CC:-$(find_clang clang)}
cxx=${CXX:-$(find_clang clang++)}
if [ -z "$cc" ] || [ -z "$cxx" ]; then
  echo "fuzz.sh: no clang found (apt-get install clang, or set CC/CXX)" >&2
  exit 2
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFORESIGHT_BUILD_FUZZ=ON -DFORESIGHT_BUILD_TESTS=OFF >/dev/null

# Discover by name: every target "<name>_fuzz" the build defines.
mapfile -t targets < <(cmake --build "$build" --target help | sed -n 's/^\([A-Za-z0-9_]*_fuzz\): phony$/\1/p' | sort -u)
selected=()
for t in "${targets[@]}"; do
  # shellcheck disable=SC2053  # glob match on purpose
  [[ $t == $pattern ]] && selected+=("$t")
done
if [ ${#selected[@]} -eq 0 ]; then
  echo "fuzz.sh: no *_fuzz target matches '$pattern' (found: ${targets[*]:-none})" >&2
  exit 2
fi
nice cmake --build "$build" --target "${selected[@]}"

failed=()
for t in "${selected[@]}"; do
  bin=$(find "$build" -type f -name "$t" -perm -u+x | head -1)
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  seeds=$(find src -type d -name "${t}_corpus" | head -1)
  dict=$(find src -type f -name "$t.dict" | head -1)
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  [ -n "$dict" ] && args+=(-dict="$dict")
  echo "== $t: ${seconds}s, corpus $corpus${seeds:+ + seeds $seeds}${dict:+, dict $dict}" >&2
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  if ! nice "$bin" "${args[@]}" ${FUZZ_FLAGS:-} "$corpus" ${seeds:+"$seeds"}; then
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in ${failed[*]} (inputs under $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#selected[@]} target(s) ran ${seconds}s each without a crash" >&2
