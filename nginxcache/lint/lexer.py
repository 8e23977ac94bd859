"""The tokens of one config file as crossplane's lexer yields them, except that long runs of
plain `KEY VALUE;` lines (a big map's entries) are read by a strict line grammar instead.

crossplane lexes some 40k tokens/s, seconds for a 100k-entry map. A run of lines that are
each one whole two-word statement is cut out of the text crossplane lexes, a marker comment
in its place. The cut stands only when crossplane finds every marker as a comment where a
statement starts; anything else (an open quote or statement before the run, a lua block) has
the whole text lexed by crossplane as it is. Either way the tokens are the same.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from crossplane.errors import NgxParserBaseException

# What crossplane.lexer.lex() runs on an open file; lint has the text in memory already.
from crossplane.lexer import EXTERNAL_LEXERS, _balance_braces, _lex_file_object

# (word, line, quoted) as crossplane yields it: quotes removed, escapes kept except the
# quote's own (\" inside "...", \' inside '...').
Token = tuple[str, int, bool]

# Fewer lines than this cost crossplane a few milliseconds: they are left to it.
MIN_RUN = 100

# A word crossplane reads the same way inside a plain line: a quoted string on one line, or a
# bare word that starts no comment and holds no quote, backslash, brace, `;` or white space.
_WORD = r"""(?:"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'|[^\s"'{};#\\][^\s"'{};\\]*+)"""


def _statement(word: str) -> str:
    return rf"[ \t]*+{word}[ \t]++{word}[ \t]*+;[ \t\r]*+\n"  # \r: CRLF files


_STATEMENTS = re.compile(_statement(f"({_WORD})"))
_RUNS = re.compile(rf"^(?:{_statement(_WORD)})++", re.MULTILINE)
PLAIN_RUNS = _RUNS  # lines that are each one whole two-word statement, for tree.py's quote check
_QUOTES = ('"', "'")
_BLOCK_EDGES = frozenset({"{", ";", "}"})


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive plain statements, one a line, read without crossplane: (key, key quoted,
    value, value quoted, line) with each word as crossplane would have yielded it."""

    statements: list[tuple[str, bool, str, bool, int]]

    def tokens(self) -> Iterator[Token]:
        """The tokens crossplane would have yielded for these lines."""
        for key, key_quoted, value, value_quoted, line in self.statements:
            yield key, line, key_quoted
            yield value, line, value_quoted
            yield ";", line, False


@dataclass(frozen=True, slots=True)
class _Cut:
    start: int  # offset of the run's first line in the text
    end: int  # offset just after its last line break
    lines: int
    run: Run


def tokens(text: str, min_run: int | None = None) -> Iterator[Token | Run]:
    """The file's tokens, with a Run in place of the tokens of each run of at least `min_run`
    plain lines (default MIN_RUN) that begins where a statement starts. crossplane's syntax
    errors (NgxParserBaseException) are raised where crossplane raises them."""
    # A carriage return stays: nginx reads it as white space but ends a comment only at a line
    # feed, so `# note\r}` hides the brace (crossplane.lexer.lex opens files with universal
    # newlines and would see it). crossplane's lexer reads this text the way nginx does.
    cuts = _cuts(text, MIN_RUN if min_run is None else min_run)
    spliced = _spliced(text, cuts) if cuts else None
    return iter(spliced) if spliced is not None else _crossplane(text)


def _crossplane(text: str) -> Iterator[Token]:
    # crossplane is untyped: its generator yields (word, line, quoted) tuples.
    lexed: Iterator[Token] = _balance_braces(_lex_file_object([text]))
    return lexed


def _cuts(text: str, min_run: int) -> list[_Cut]:
    cuts: list[_Cut] = []
    line, counted_to = 1, 0
    for found in _RUNS.finditer(text):
        start, end = found.span()
        lines = text.count("\n", start, end)
        if lines < min_run:
            continue
        line += text.count("\n", counted_to, start)
        counted_to = start
        statements = _statements(_STATEMENTS.findall(text, start, end), line)
        assert len(statements) == lines
        if any(statement[0] in EXTERNAL_LEXERS for statement in statements):
            continue  # crossplane hands what follows such a word to another lexer (lua)
        cuts.append(_Cut(start, end, lines, Run(statements)))
    return cuts


def _statements(words: list[tuple[str, str]], first_line: int) -> list[tuple[str, bool, str, bool, int]]:
    """(key, value) as matched -> (key, quoted, value, quoted, line), words as crossplane yields them."""
    statements = []
    for line, (key, value) in enumerate(words, first_line):  # once per map entry: no call for a bare word
        key_quoted = key[0] in _QUOTES
        value_quoted = value[0] in _QUOTES
        statements.append(
            (_unquoted(key) if key_quoted else key, key_quoted, _unquoted(value) if value_quoted else value, value_quoted, line)
        )
    return statements


def _unquoted(word: str) -> str:
    """A quoted word as crossplane yields it: quotes off, \\" unescaped in "..." (\\' in '...')."""
    quote, inner = word[0], word[1:-1]
    return inner.replace("\\" + quote, quote) if "\\" in inner else inner


def _spliced(text: str, cuts: list[_Cut]) -> list[Token | Run] | None:
    """crossplane's tokens of the text with each run cut out and a Run in its place (lines
    numbered as in the whole text), or None when a marker is not where a statement starts."""
    nonce = secrets.token_hex(8)
    while nonce in text:
        nonce = secrets.token_hex(8)
    markers = [f"#nginxcache-run-{nonce}-{index}" for index in range(len(cuts))]
    pieces: list[str] = []
    position = 0
    for marker, cut in zip(markers, cuts, strict=True):
        pieces += [text[position : cut.start], marker, "\n"]
        position = cut.end
    pieces.append(text[position:])
    try:
        lexed = list(_crossplane("".join(pieces)))
    except NgxParserBaseException:
        return None  # lexed whole again, so that the error comes where crossplane finds it
    items: list[Token | Run] = []
    shift = found = 0
    statement_start = True
    for word, line, quoted in lexed:
        if nonce in word:
            if quoted or found == len(cuts) or word != markers[found] or not statement_start:
                return None
            items.append(cuts[found].run)
            shift += cuts[found].lines - 1
            found += 1
            continue
        items.append((word, line + shift, quoted))
        if quoted or not word.startswith("#"):
            statement_start = not quoted and word in _BLOCK_EDGES
    return items if found == len(cuts) else None
