"""Writes the function reference in README.md from the catalogue.

The text between the two marker lines is generated; a test fails when it is
stale. ``python -m xl_factor.frontdoors.reference`` rewrites it.
"""

from __future__ import annotations

from pathlib import Path

from ..sheet.catalogue import CATALOGUE, Function

README = Path(__file__).resolve().parents[2] / "README.md"
START = "<!-- function reference: generated from xl_factor/sheet/catalogue.py, do not edit -->"
END = "<!-- end of function reference -->"


def _default(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def signature(function: Function) -> str:
    parts = [f"[{a.name}={_default(a.default)}]" if a.optional else a.name for a in function.args]
    return f"{function.name}({', '.join(parts)})"


def render() -> str:
    lines = [START, "", "| function | returns |", "|---|---|"]
    lines += [f"| `{signature(f)}` | {f.returns} |" for f in CATALOGUE]
    for f in CATALOGUE:
        lines += ["", f"### {f.name}", "", f"`{signature(f)}`", "", f.doc, ""]
        if f.args:
            lines += ["| argument | meaning |", "|---|---|"]
            lines += [f"| `{a.name}` | {a.doc} |" for a in f.args]
    return "\n".join(lines + ["", END])


def updated(text: str) -> str:
    """README text with the generated section replaced."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + render() + tail


def main() -> None:
    README.write_text(updated(README.read_text()))
    print(f"updated {README}")


if __name__ == "__main__":
    main()
