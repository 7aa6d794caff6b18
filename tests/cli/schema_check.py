#!/usr/bin/env python3
"""Checks spec files against imgspec's JSON Schema with a real validator (python3-jsonschema).

Usage: schema_check.py SCHEMA valid|invalid FILE[=WHERE]...
  valid    every FILE must validate
  invalid  every FILE must be rejected, and when WHERE is given ("layers/0/env_vars", "" for the
           top) some error, or some error under an anyOf/oneOf, must be at or below WHERE: the
           file is rejected for the reason it is in the corpus, not for another
Prints one "ok:"/"FAIL:" line per file (with the validator's messages) and exits 1 on any failure.
YAML is read with PyYAML (python3-yaml), TOML with tomllib (Python 3.11).
"""
import json
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"FAIL: {e}: apt-get install python3-jsonschema python3-yaml (scripts/deps.sh)")
    sys.exit(1)
try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


def load(path):
    if path.endswith(".toml"):
        if tomllib is None:
            raise RuntimeError("tomllib needs Python 3.11")
        with open(path, "rb") as f:
            return tomllib.load(f)
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def error_paths(errors):
    """The instance path of every error and of every error in their anyOf/oneOf contexts."""
    for e in errors:
        yield "/".join(str(p) for p in e.absolute_path)
        yield from error_paths(e.context or [])


def main():
    schema_file, mode, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(schema_file, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failed = 0
    for arg in files:
        path, _, where = arg.partition("=")
        try:
            doc = load(path)
        except Exception as e:  # a file the parser refuses is no schema question
            print(f"FAIL: {path}: cannot be read: {e}")
            failed += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if mode == "valid" and errors:
            failed += 1
            print(f"FAIL: {path}: rejected by the schema")
            for e in errors[:10]:
                where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                print(f"  {where}: {e.message[:300]}")
        elif mode == "invalid" and not errors:
            failed += 1
            print(f"FAIL: {path}: accepted by the schema, but imgspec rejects it")
        elif mode == "invalid" and "=" in arg and not any(
                p == where or p.startswith(where + "/") or where == "" for p in error_paths(errors)):
            failed += 1
            print(f"FAIL: {path}: rejected, but not at {where or '(top)'}:")
            for p in sorted(set(error_paths(errors)))[:10]:
                print(f"  error at {p or '(top)'}")
        else:
            first = ""
            if errors:
                e = errors[0]
                first = " (" + ("/".join(str(p) for p in e.absolute_path) or "top") + ": " + e.message[:120] + ")"
            print(f"ok: {path} {'validates' if mode == 'valid' else 'rejected'}{first}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
