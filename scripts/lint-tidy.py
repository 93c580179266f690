"""Runs clang-tidy over the files named on stdin, JOBS at a time, skipping a
file whose clean result is cached (see scripts/lint). Prints every finding and
exits 1 if there was one.

Usage: lint-tidy.py BUILD_DIR CACHE_DIR JOBS  < files
"""

import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys


def compile_commands(build_dir):
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        entries = json.load(f)
    commands = {}
    for e in entries:
        path = os.path.realpath(os.path.join(e["directory"], e["file"]))
        args = e.get("arguments") or shlex.split(e["command"])
        commands[path] = (e["directory"], args)
    return commands


def preprocess(directory, args):
    """The file's text with every include expanded, or None if that fails."""
    out = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a == "-c":
            continue
        out.append(a)
    r = subprocess.run(out + ["-E", "-P"], cwd=directory, capture_output=True)
    return r.stdout if r.returncode == 0 else None


def main():
    build_dir, cache_dir, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    files = [line.strip() for line in sys.stdin if line.strip()]
    commands = compile_commands(build_dir)
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout
    with open(".clang-tidy", "rb") as f:
        config = f.read()
    root = os.getcwd().encode()
    build = os.path.realpath(build_dir).encode()

    def check(path):
        real = os.path.realpath(path)
        if real not in commands:
            return path, False, "%s: not in %s/compile_commands.json (is it built?)\n" % (path, build_dir)
        directory, args = commands[real]
        text = preprocess(directory, args)
        key = None
        if text is not None:
            # Paths expanded by __FILE__ differ between clones; the key must not.
            text = text.replace(root, b"@ROOT@").replace(build, b"@BUILD@")
            h = hashlib.sha256()
            for part in (version.encode(), config, path.encode(), text):
                h.update(hashlib.sha256(part).digest())
            key = os.path.join(cache_dir, h.hexdigest())
            if os.path.exists(key):
                return path, True, ""
        r = subprocess.run(["clang-tidy", "-p", build_dir, "--quiet", path], capture_output=True, text=True)
        findings = "\n".join(l for l in r.stdout.splitlines() if l.strip())
        ok = r.returncode == 0 and "warning:" not in r.stdout and "error:" not in r.stdout
        if ok and key:
            open(key, "w").close()
        return path, ok, "" if ok else findings + "\n" + r.stderr

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for path, ok, output in pool.map(check, files):
            if not ok:
                failed += 1
                sys.stdout.write("---- %s\n%s\n" % (path, output.strip()))
    print("clang-tidy: %d files, %d with findings" % (len(files), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
