"""Fill in a deploy/ template's @NAME@ placeholders.

    python -m deploy.render deploy/nginx/lobby.conf NAME=VALUE ... > lobby

Comment lines are copied as they are (they may mention @NAME@ themselves). A
name given more than once repeats the line it is on, once per value: two
APP_SERVER=… make two `server` lines in nginx's upstream. A placeholder left
without a value, or a value that no placeholder takes, stops with a message, so
a typo never ships a half-filled file. `make prod-check` renders the same file.
"""

import re
import sys
from collections.abc import Mapping, Sequence

PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


class TemplateError(ValueError):
    pass


def placeholders(template: str) -> set[str]:
    """The names the template's non-comment lines ask for."""
    return {name for line in template.splitlines() if not _is_comment(line) for name in PLACEHOLDER.findall(line)}


def render(template: str, values: Mapping[str, str | Sequence[str]]) -> str:
    """The template with every placeholder outside comments replaced."""
    wanted = placeholders(template)
    missing, unused = sorted(wanted - set(values)), sorted(set(values) - wanted)
    if missing:
        raise TemplateError(f"no value for {', '.join('@' + name + '@' for name in missing)}")
    if unused:
        raise TemplateError(f"no placeholder takes {', '.join(unused)}")
    lines = []
    for line in template.splitlines(keepends=True):
        names = [] if _is_comment(line) else PLACEHOLDER.findall(line)
        repeated = [name for name in names if not isinstance(values[name], str)]
        if len(set(repeated)) > 1:
            raise TemplateError(f"one line repeats for both {' and '.join(sorted(set(repeated)))}")
        for item in values[repeated[0]] if repeated else [None]:

            def fill(match, item=item):
                value = values[match.group(1)]
                return str(item if not isinstance(value, str) else value)

            lines.append(PLACEHOLDER.sub(fill, line) if names else line)
    return "".join(lines)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def main(argv: list[str]) -> int:
    if not argv or any("=" not in arg for arg in argv[1:]):
        print("usage: python -m deploy.render TEMPLATE NAME=VALUE ...", file=sys.stderr)
        return 2
    values: dict[str, str | list[str]] = {}
    for arg in argv[1:]:
        name, value = arg.split("=", 1)
        if name in values:
            previous = values[name]
            values[name] = [*([previous] if isinstance(previous, str) else previous), value]
        else:
            values[name] = value
    with open(argv[0], encoding="utf-8") as file:
        template = file.read()
    try:
        sys.stdout.write(render(template, values))
    except TemplateError as error:
        print(f"{argv[0]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
