#!/usr/bin/env python3
"""The layering of src/, checked: src/README.md lists the stage folders in
order, each depending only on the ones before it. This fails when a source
file includes a header of a later stage, or when a CMake stage library links
a later stage's library. Tests beside the code (*_test.cc) may also include
tests/support; nothing else is exempt."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
readme = (root / "src" / "README.md").read_text()
# The order: the "- **name/**" bullets of src/README.md, in the order they appear.
order = re.findall(r"^- \*\*([a-z_/]+)/\*\*", readme, re.M)
rank = {name: i for i, name in enumerate(order)}
folders = sorted(p.name for p in (root / "src").iterdir() if p.is_dir())
problems = []
for folder in folders:
    if folder not in rank:
        problems.append(f"src/{folder}/ is not listed in src/README.md")


def stage_of(path: pathlib.Path) -> str:
    rel = path.relative_to(root / "src").parts
    # A backend folder (store/sqlite) belongs to its stage unless listed itself.
    if len(rel) > 2 and f"{rel[0]}/{rel[1]}" in rank:
        return f"{rel[0]}/{rel[1]}"
    return rel[0]


include = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([a-z_]+/)?')
for path in sorted((root / "src").rglob("*")):
    if path.suffix not in (".h", ".cc") or not path.is_file():
        continue
    stage = stage_of(path)
    if stage not in rank:
        continue
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = include.match(line)
        if not m:
            continue
        target = m.group(1)
        if m.group(2) and f"{target}/{m.group(2)[:-1]}" in rank:
            target = f"{target}/{m.group(2)[:-1]}"
        if target not in rank:
            continue  # a library or tests/support (checked by the build)
        if rank[target] > rank[stage]:
            problems.append(f"{path.relative_to(root)}:{n}: {stage}/ includes {target}/, "
                            f"which src/README.md lists after it")

# CMake: scanscope_stage(ss_NAME src/DIR deps...) links only earlier stages.
cmake = (root / "CMakeLists.txt").read_text()
libs = {}
for m in re.finditer(r"scanscope_stage\((ss_\w+)\s+src/([a-z_/]+)([^)]*)\)", cmake):
    libs[m.group(1)] = m.group(2)
for m in re.finditer(r"scanscope_stage\((ss_\w+)\s+src/([a-z_/]+)([^)]*)\)", cmake):
    name, folder, deps = m.group(1), m.group(2), m.group(3).split()
    for dep in deps:
        if dep in libs and libs[dep] in rank and folder in rank and rank[libs[dep]] > rank[folder]:
            problems.append(f"CMakeLists.txt: {name} links {dep} (src/{libs[dep]}/), which "
                            f"src/README.md lists after src/{folder}/")

for p in problems:
    print("layers: " + p)
if problems:
    sys.exit(1)
print(f"layers: {len(order)} stages in order, no include or link runs back up")
