#!/usr/bin/env python3
"""Fails when a function in src/ (tests aside) is longer than 100 lines.

docs/style.md asks for functions a reader can hold at once; a long table
(data, not steps) may stay and is named in ALLOWED. The check reads the
code's braces (strings and comments removed): a '{' opens a function body
when the text before it, back to the previous ';', '{' or '}', ends in a
parameter list ')' (with const/override/noexcept or a constructor's
initialisers after it) and is not an if/for/while/switch/catch or a lambda.
"""
import pathlib
import re
import sys

LIMIT = 100
ALLOWED = {
    # The country prefixes the generator draws from: one table.
    ("src/generate/country_prefixes.cc", "Countries"),
}
CONTROL = re.compile(r"^(if|for|while|switch|catch|else|do|return)\b")


def strip(text):
    """Comments, strings and character literals blanked, newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
            out.append(c)  # a digit separator: 1'000'000
            i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(code):
    """(name, first line, last line) of every function body."""
    stack = []  # (is_function, name, line)
    line = 1
    last_stop = 0
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            head = " ".join(code[last_stop:i].split())
            head = re.sub(r"^(public|private|protected):\s*", "", head)
            m = re.search(r"([~\w:]+)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*"
                          r"(const|override|noexcept|final|mutable|->\s*[\w:<>,\s*&]+|\s)*"
                          r"(:\s*[^{]*)?$", head)
            is_fn = bool(m) and not CONTROL.match(head) and "[" not in head.split("(")[0] \
                and "=" not in head.split("(")[0] and not any(f for f, _, _ in stack)
            stack.append((is_fn, m.group(1) if m else "", line))
            last_stop = i + 1
        elif c == "}":
            if stack:
                is_fn, name, start = stack.pop()
                if is_fn:
                    yield name, start, line
            last_stop = i + 1
        elif c == ";":
            last_stop = i + 1


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    bad = []
    for path in sorted((root / "src").rglob("*.cc")) + sorted((root / "src").rglob("*.h")):
        if path.name.endswith("_test.cc"):
            continue
        rel = str(path.relative_to(root))
        for name, first, last in functions(strip(path.read_text())):
            length = last - first + 1
            short = name.split("::")[-1]
            if length > LIMIT and (rel, short) not in ALLOWED:
                bad.append(f"{rel}:{first}: {name} is {length} lines (at most {LIMIT})")
    for b in bad:
        print(b)
    if bad:
        print(f"check_function_size: {len(bad)} function(s) over {LIMIT} lines; split them "
              "(docs/style.md)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
