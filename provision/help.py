"""Help for provision's commands: ``--help`` (or ``-h``) anywhere before ``--`` prints help and
runs nothing, with or without a context (``provision @site migrate --help``).

A command's help is its module's docstring: the first line is its usage, the rest says what it
does.
"""

from __future__ import annotations

import importlib
import re
import textwrap
from pathlib import Path

from .commands import COMMANDS

HELP_WORDS = ("--help", "-h")


def asks_for_help(words: list[str]) -> bool:
    """Whether ``--help`` or ``-h`` comes before ``--`` among the words after the options."""
    for word in words:
        if word == "--":
            return False
        if word in HELP_WORDS:
            return True
    return False


def verb_of(words: list[str]) -> str | None:
    """The command the words name (``save @x``, ``@x migrate``, or a verb alone), if any."""
    plain = [word for word in words if word not in HELP_WORDS]
    if not plain:
        return None
    if plain[0] in COMMANDS:
        return plain[0]
    if plain[0].startswith("@") and len(plain) > 1 and plain[1] in COMMANDS:
        return plain[1]
    return None


def _docstring(verb: str) -> str:
    module = importlib.import_module(COMMANDS[verb])
    return (module.__doc__ or f"``provision {verb}``.").strip()


def usage_and_text(verb: str) -> tuple[str, list[str]]:
    """A command's usage line and the paragraphs saying what it does, from its docstring
    (whose first paragraph is ``usage``: what it does, or ``usage``. alone)."""
    paragraphs = [" ".join(p.split()) if not p.lstrip().startswith("-") else p.strip()
                  for p in _docstring(verb).split("\n\n")]
    match = re.match(r"``([^`]*)``[:.]?\s*(.*)", paragraphs[0], re.DOTALL)
    usage = match.group(1) if match else f"provision {verb}"
    first = match.group(2).strip() if match else paragraphs[0]
    text = ([first] if first else []) + paragraphs[1:]
    return usage, [re.sub(r"``([^`]*)``", r"\1", paragraph) for paragraph in text]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def summary(verb: str, width: int = 76) -> str:
    """What a command does, in its first words: the first sentence, up to a colon or
    semicolon, shortened to ``width`` characters."""
    _usage, text = usage_and_text(verb)
    sentence = re.split(r"\. |[:;] ", text[0])[0].rstrip(".") if text else verb
    if len(sentence) > width:
        sentence = sentence[:width].rsplit(" ", 1)[0].rstrip(",") + " …"
    return _capital(sentence) + ("" if sentence.endswith("…") else ".")


def command_help(verb: str) -> str:
    """The help of one command: its usage, then what it does."""
    usage, text = usage_and_text(verb)
    return "\n\n".join([
        f"Usage: {usage}",
        *(textwrap.fill(_capital(p), 92) if not p.startswith("-") else p for p in text),
        "Options are given as --key=value (or, with --backend, in the JSON on standard input);\n"
        "`provision --help` shows the global options (--root, --backend, --debug).",
    ])


def commands_list() -> str:
    """Every command with what it does, for ``provision --help``."""
    width = max(len(verb) for verb in COMMANDS)
    return "\n".join(f"  {verb:<{width}}  {summary(verb)}" for verb in sorted(COMMANDS))


def completions(root: Path, words: list[str], incomplete: str) -> list[str]:
    """What may come next on a provision command line (for the shell's completion): a context
    name or save/show first, a command after a context name, a context name after save/show."""
    names = sorted(f"@{path.stem}" for path in (root / "contexts").glob("*.json"))
    if not words:
        offered = ["save", "show", *names]
    elif len(words) == 1 and words[0].startswith("@"):
        offered = sorted(COMMANDS)
    elif len(words) == 1 and words[0] in ("save", "show"):
        offered = names
    else:
        offered = []
    return [word for word in offered if word.startswith(incomplete)]
