#!/usr/bin/env python3
"""Keeps the command-line documentation true to the program.

docs/cli-reference.md holds the verbatim `--help` of every command, generated from the binary; docs/cli.md explains
the commands with examples. This script

  --write BINARY   regenerates docs/cli-reference.md from BINARY (run it after changing an option);
  --check BINARY   fails (exit 1, naming what differs) when docs/cli-reference.md is not what BINARY prints, when a
                   command of BINARY has no section in docs/cli.md, or when a section of docs/cli.md names an option
                   (--flag) that the command does not accept.

It is run by CTest (test `cli_doc`), so a change of an option without its documentation fails `make test`.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI_MD = os.path.join(ROOT, "docs", "cli.md")
REF_MD = os.path.join(ROOT, "docs", "cli-reference.md")


def run_help(binary, words):
    # argv[0] is "superpose" whatever the binary's path, so the usage lines do not depend on the build folder.
    out = subprocess.run(["superpose", *words, "--help"], executable=binary, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"check_cli_doc: '{' '.join(['superpose', *words])} --help' exited {out.returncode}")
    return out.stdout


def subcommands(help_text):
    """Names listed under 'SUBCOMMANDS:' in a CLI11 help text."""
    names, inside = [], False
    for line in help_text.splitlines():
        if line.strip().upper().startswith("SUBCOMMANDS"):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s{2}(\S+)", line)
            if m:
                names.append(m.group(1))
            elif line.strip() and not line.startswith(" "):
                inside = False
    return names


def commands(binary):
    """Every command path, e.g. ['loss'], ['bows', 'train'], in the order the program lists them."""
    out = []
    for name in subcommands(run_help(binary, [])):
        sub = subcommands(run_help(binary, [name]))
        if sub:
            out.extend([name, s] for s in sub)
        else:
            out.append([name])
    return out


def reference(binary):
    parts = ["# `superpose` options, command by command\n\n",
             "Generated from the program by `tests/tools/check_cli_doc.py --write build/apps/superpose`; CTest checks\n",
             "that it is current. The explanations and examples are in [cli.md](cli.md).\n\n",
             "## `superpose`\n\n```\n", run_help(binary, []).rstrip() + "\n", "```\n"]
    for words in commands(binary):
        parts += [f"\n## `superpose {' '.join(words)}`\n\n```\n", run_help(binary, words).rstrip() + "\n", "```\n"]
    return "".join(parts)


def flags(help_text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_text))


def check(binary):
    problems = []
    want = reference(binary)
    have = open(REF_MD, encoding="utf-8").read() if os.path.exists(REF_MD) else ""
    if want != have:
        a, b = have.splitlines(), want.splitlines()
        first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        problems.append(f"docs/cli-reference.md is stale from line {first + 1} "
                        f"(docs: {a[first] if first < len(a) else '<end>'!r}; program: "
                        f"{b[first] if first < len(b) else '<end>'!r}); run tests/tools/check_cli_doc.py --write")
    text = open(CLI_MD, encoding="utf-8").read()
    sections = {}
    for m in re.finditer(r"^## `superpose ([a-z -]+?)`(.*?)(?=^## |\Z)", text, re.S | re.M):
        sections[m.group(1).strip()] = m.group(2)
    global_flags = flags(run_help(binary, []))
    for words in commands(binary):
        name = " ".join(words)
        # A command is documented in its own section, or (bows) in its parent's.
        body = sections.get(name) or sections.get(words[0])
        if body is None:
            problems.append(f"docs/cli.md has no section '## `superpose {name}`'")
            continue
        if name not in sections:
            continue
        accepted = flags(run_help(binary, words)) | global_flags
        # Only flags in code spans and code blocks are claims about this command's options.
        # A line or span that runs another command (`superpose loss --exact` inside the check section) speaks of
        # that command's options, not this one's.
        others = re.compile(r"superpose (?!" + re.escape(words[0]) + r"\b)[a-z]")
        pieces = re.findall(r"`[^`\n]+`", body) + [l for b in re.findall(r"```.*?```", body, re.S) for l in b.splitlines()]
        # In a line that starts the command through another program (`mpirun ... superpose verify ...`), only what
        # follows the command's name is about its options.
        own = re.compile(r"superpose " + re.escape(" ".join(words)) + r"\b")
        pieces = [x[own.search(x).start():] if own.search(x) else x for x in pieces if not others.search(x)]
        code = " ".join(x for x in pieces if "mpirun" not in x)
        for f in sorted(flags(code) - accepted):
            problems.append(f"docs/cli.md, section 'superpose {name}': {f} is not an option of the command")
    return problems


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("--write", "--check"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    mode, binary = sys.argv[1], sys.argv[2]
    if mode == "--write":
        tmp = REF_MD + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(reference(binary))
        os.replace(tmp, REF_MD)
        return 0
    problems = check(binary)
    for p in problems:
        print("check_cli_doc: " + p)
    if not problems:
        print("check_cli_doc: docs/cli-reference.md and docs/cli.md agree with the program")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
