#!/usr/bin/env bash
# Shell completions and the man page, generated from the CLI definitions (imgspec __complete-script
# bash|zsh|fish, imgspec __man; cmake/docs.cmake installs them): the bash completion run for
# partial words as bash runs it (COMP_WORDS/COMP_CWORD, then COMPREPLY), the zsh and fish scripts
# parsed (and fish's completion run) when those shells are installed, the man page rendered by
# groff without warnings. If the build tree has the generated files, they equal the binary's.
source "$(dirname "$0")/lib.sh"

check "__complete-script bash" 0 "$IMGSPEC" __complete-script bash
cp "$WORK/out" "$WORK/imgspec.bash"
check "__complete-script with an unknown shell is a usage error" 2 "$IMGSPEC" __complete-script tcsh
check "__man" 0 "$IMGSPEC" __man
cp "$WORK/out" "$WORK/imgspec.1"
"$IMGSPEC" --help >"$WORK/help"
grep -q "__complete-script\|__man" "$WORK/help" && fail "hidden commands show in --help" || ok "hidden commands are not in --help"

# comp WORD...: the candidates bash offers for the last word, sorted, on one line.
comp() {
  bash -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _imgspec
    printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\n" " " | sed "s/ $//"' _ "$WORK/imgspec.bash" "$@"
}
# expect_comp "WANT" WORD...
expect_comp() {
  local want=$1 got
  shift
  got=$(comp "$@")
  if [ "$got" = "$want" ]; then ok "complete '$*' -> '$want'"; else fail "complete '$*': got '$got', want '$want'"; fi
}

bash -n "$WORK/imgspec.bash" && ok "bash completion parses" || fail "bash completion does not parse"
grep -q '^complete -o filenames -F _imgspec imgspec$' "$WORK/imgspec.bash" && ok "bash: registered for imgspec" || fail "bash: no complete -F line"
expect_comp "build" imgspec bu
expect_comp "build config explain init lock outdated render schema uri validate" imgspec ""
expect_comp "--dockerfile" imgspec render spec.yaml --doc
expect_comp "--dockerfile" imgspec render --doc
expect_comp "--json" imgspec -v --ref gpu=nvcr.io/x:1 uri --j
expect_comp "validate" imgspec --config cfg.yaml va
expect_comp "--verbose --version" imgspec --ve
expect_comp "auto plain quiet rawjson tty" imgspec build spec.yaml --progress ""
expect_comp "plain" imgspec build --progress pl
expect_comp "linux/amd64 linux/arm/v6 linux/arm/v7 linux/arm64 linux/arm64/v8" imgspec build --platform linux/a
expect_comp "--cache-from --cache-to" imgspec build a.yaml --cache
expect_comp "" imgspec build --builder ""
expect_comp "" imgspec schema ""
# Global options after the command, and the stdin flags.
expect_comp "--verbose --version" imgspec uri spec.yaml --ve
expect_comp "--quiet" imgspec build a.yaml --qu
expect_comp "" imgspec build a.yaml --ref ""
expect_comp "toml yaml" imgspec render - --format ""
expect_comp "--toml" imgspec init --to
# Spec files and folders, nothing else, for SPEC arguments; any file for --context and --config.
mkdir -p "$WORK/files/sub"
touch "$WORK/files/a.yaml" "$WORK/files/b.toml" "$WORK/files/c.yml" "$WORK/files/notes.txt"
cd "$WORK/files"
expect_comp "a.yaml b.toml c.yml sub" imgspec validate ""
expect_comp "a.yaml" imgspec build --force a
expect_comp "notes.txt" imgspec render a.yaml --context no
expect_comp "notes.txt" imgspec --config no
expect_comp "notes.txt" imgspec validate a.yaml --config no
expect_comp "sub" imgspec uri - --context-dir su
expect_comp "sub" imgspec init ""
expect_comp "sub" imgspec init --toml s
cd "$WORK"

# zsh and fish: parsed, and fish's own completion engine asked, where installed.
"$IMGSPEC" __complete-script zsh >"$WORK/_imgspec"
"$IMGSPEC" __complete-script fish >"$WORK/imgspec.fish"
head -1 "$WORK/_imgspec" | grep -q '^#compdef imgspec$' && ok "zsh: #compdef line" || fail "zsh: no #compdef line"
if command -v zsh >/dev/null; then
  zsh -n "$WORK/_imgspec" && ok "zsh completion parses" || fail "zsh completion does not parse"
else
  echo "skip: zsh not installed"
fi
if command -v fish >/dev/null; then
  fish -n "$WORK/imgspec.fish" && ok "fish completion parses" || fail "fish completion does not parse"
  got=$(cd "$WORK/files" && fish -c "source $WORK/imgspec.fish; complete -C 'imgspec bu'; complete -C 'imgspec render x.yaml --doc'; complete -C 'imgspec validate '" | cut -f1 | tr '\n' ' ')
  case $got in
    "build --dockerfile a.yaml b.toml c.yml sub/ "*) ok "fish completes commands, options and spec files" ;;
    *) fail "fish completion: got '$got'" ;;
  esac
else
  echo "skip: fish not installed"
fi

# The man page: renders without warnings and documents every command, option and spec key.
if command -v groff >/dev/null; then
  groff -man -z -ww "$WORK/imgspec.1" 2>"$WORK/groff" && [ ! -s "$WORK/groff" ] && ok "man page renders without warnings" ||
    { fail "groff warns about the man page"; head -5 "$WORK/groff"; }
  groff -man -Tutf8 "$WORK/imgspec.1" 2>/dev/null | sed 's/.\x08//g' >"$WORK/man.txt"
  for section in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "SPEC KEYS" CONFIGURATION ENVIRONMENT "EXIT STATUS"; do
    grep -q "^$section" "$WORK/man.txt" && ok "man: section $section" || fail "man: no section $section"
  done
  for word in build render uri validate schema config --dockerfile --progress --json --ref IMGSPEC_REGISTRY \
    layers[].pip_packages from.uv_script.script secret_mounts[].as_env_var; do
    grep -qF -- "$word" "$WORK/man.txt" && ok "man mentions $word" || fail "man does not mention $word"
  done
else
  echo "skip: groff not installed"
fi

# The files cmake/docs.cmake generated in this build tree are the binary's own.
dir=$(dirname "$IMGSPEC")
while [ "$dir" != / ] && [ ! -f "$dir/CMakeCache.txt" ]; do dir=$(dirname "$dir"); done
if [ -d "$dir/docs" ]; then
  cmp -s "$dir/docs/imgspec.bash" "$WORK/imgspec.bash" && ok "build tree: bash completion is current" || fail "build tree: $dir/docs/imgspec.bash is stale"
  cmp -s "$dir/docs/imgspec.1" "$WORK/imgspec.1" && ok "build tree: man page is current" || fail "build tree: $dir/docs/imgspec.1 is stale"
  "$IMGSPEC" schema | cmp -s - "$dir/docs/imgspec.schema.json" && ok "build tree: schema is current" || fail "build tree: schema is stale"
else
  echo "skip: no generated docs in the build tree (IMGSPEC_BUILD_DOCS=OFF?)"
fi
finish
