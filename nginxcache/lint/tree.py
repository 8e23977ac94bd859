"""The config tree `lint` reads: every file of it, `include` (globs too) followed here so each
statement keeps its own file and line, arguments unescaped the way nginx reads them.

crossplane lexes each file (but the long runs of plain map entries lexer.py reads faster) and
checks directive contexts and argument counts; includes are spliced by this module because
crossplane's combine=True can give statements after a glob include the wrong file.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from crossplane.analyzer import CONTEXTS, DIRECTIVES, analyze, enter_block_ctx
from crossplane.errors import NgxParserBaseException

from nginxcache.errors import NginxcacheError
from nginxcache.lint.lexer import PLAIN_RUNS, Run, Token, tokens
from nginxcache.quoting import nginx_unescape

# The context a file given on the command line is read in, tried in this order: the first
# that allows every directive at its top level wins (a whole nginx.conf, a conf.d file, a
# snippet included in server { }, one included in a location).
ROOT_CONTEXTS: dict[str, tuple[str, ...]] = {
    "main": (),
    "http": ("http",),
    "server": ("http", "server"),
    "location": ("http", "location"),
}
DEFAULT_CONF_DIR = "/etc/nginx"
# The largest config file lint reads (docs/lint.md): the text, its tokens and its tree stay
# in memory together, some 10 times the file's size.
MAX_CONFIG_BYTES = 256 * 1024 * 1024
_NJS_PREFIX = "js_"
# Nesting (blocks and includes) beyond which lint warns: nginx itself recurses per level.
NGINX_STACK_DEPTH = 10_000


class ConfigError(NginxcacheError):
    """A config that cannot be read or parsed (exit 3), at nginx's file and line."""


@dataclass(eq=False, slots=True)
class Node:
    """One statement: a directive with its arguments, and its block if it has one.

    A root node stands for a whole file given on the command line; its name is the context
    the file is read in ('main', 'http', 'server' or 'location'), so a file read in server
    context acts as the server block.
    """

    name: str
    args: tuple[str, ...]
    file: str
    line: int
    block: list[Node] | None = field(default=None, repr=False)
    parent: Node | None = field(default=None, repr=False)
    is_root: bool = False
    # names -> children() of those names: the rules ask http { } for the same directives once
    # per server and sampled URI, and http { } may hold 10^5 servers (filtering it each time
    # made lint quadratic in the number of servers). The tree does not change after load_tree.
    _children: dict[tuple[str, ...], list[Node]] | None = field(default=None, repr=False)
    # semantics.find_location's index of the locations directly in this block, built on first use
    location_index: object = field(default=None, repr=False)
    # semantics.nearest_all's answers for this block, by directive names
    inherited: dict[tuple[str, ...], list[Node]] | None = field(default=None, repr=False)

    def children(self, *names: str) -> list[Node]:
        """The statements of this block with these names (all of them when none is given),
        in file order. The list is shared between callers: do not change it."""
        if self.block is None:
            return []
        if self._children is None:
            self._children = {}
        found = self._children.get(names)
        if found is None:
            found = [child for child in self.block if not names or child.name in names]
            self._children[names] = found
        return found

    def walk(self) -> Iterator[Node]:
        """Every statement below this one, depth first, in file order."""
        pending = [iter(self.block or ())]  # a stack, not nested generators: map entries lie deep
        while pending:
            for child in pending[-1]:
                yield child
                if child.block:
                    pending.append(iter(child.block))
                    break
            else:
                pending.pop()

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def show(self) -> str:
        """The statement as a user recognises it: `location ^~ /static/`, `server`."""
        if self.is_root:
            return f"{self.name}-level file {self.file}"
        words = [self.name, *(_show_arg(arg) for arg in self.args)]
        return " ".join(words)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _show_arg(arg: str) -> str:
    if arg and not any(c in arg for c in " \t;{}\"'#"):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class ConfigTree:
    roots: list[Node] = field(default_factory=list)
    # file -> line -> comment texts on that line ('#' removed), for inline suppression
    comments: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    # file -> lines holding anything but a comment (a comment alone on its line covers the next)
    code_lines: dict[str, set[int]] = field(default_factory=dict)
    # every file read, in the order first read
    files: list[str] = field(default_factory=list)
    # includes skipped because their file is not on this machine ("file:line: ...")
    warnings: list[str] = field(default_factory=list)
    # root file -> the directory its relative includes were found in (nginx's conf prefix)
    conf_dirs: dict[str, str] = field(default_factory=dict)
    # include statements that read nothing here (a missing file, a glob matching none): what
    # the server's copy sets in that block is not known to the rules
    unread_includes: list[Node] = field(default_factory=list)

    def reads_everything_of(self, block: Node) -> bool:
        """Whether every include of `block` and of the blocks around it was read here."""
        scope = {block, *block.ancestors()}
        return not any(node.parent in scope for node in self.unread_includes)

    def walk(self) -> Iterator[Node]:
        """Every root and every statement below it, depth first, in file order."""
        return iter(self._statements)

    @cached_property
    def _statements(self) -> list[Node]:
        # Rules walk the whole tree a dozen times, map entries too: one list, built once (the
        # tree does not change after load_tree).
        found: list[Node] = []
        for root in self.roots:
            found.append(root)
            found.extend(root.walk())
        return found


def load_tree(paths: Sequence[Path | str], *, context: str | None = None, placed_at: str | None = None) -> ConfigTree:
    """Read every config file with its includes. Raises ConfigError (file, line) when nginx
    would refuse to read it: a syntax error, a wrong argument count, a directive in the
    wrong context, a missing include; or when the file is no regular file, too big or
    unreadable.

    `context` (a key of ROOT_CONTEXTS) is the one nginx reads the files in, instead of the
    one inferred from their directives; `placed_at` is where the (one) file will live, which
    relative includes are looked up from (a copy being validated elsewhere, as Ansible's
    `validate:` and Chef's `verify` make).
    """
    if context is not None and context not in ROOT_CONTEXTS:
        raise ValueError(f"unknown context {context!r}")
    tree = ConfigTree()
    for path in paths:
        name = str(path)
        reader = _Reader(tree, include_bases(placed_at or name))
        statements = reader.read(name)
        tree.conf_dirs[name] = max(reader.used_bases, key=reader.used_bases.count) if reader.used_bases else reader.bases[0]
        file_context = context or infer_context(statements)
        root = Node(name=file_context, args=(), file=name, line=0, block=statements, is_root=True)
        _link(root)
        _analyze(statements, ROOT_CONTEXTS[file_context])
        tree.roots.append(root)
    return tree


def read_config_bytes(path: str) -> bytes:
    """The bytes of a config file: a regular file (or a symlink to one) of at most
    MAX_CONFIG_BYTES, else ConfigError naming the file.

    Opened with O_NONBLOCK and checked with fstat before any read, so that a FIFO (which
    would block until a writer came) or a device (/dev/zero never ends) is refused at once;
    the size is checked again while reading, as a file may grow.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except FileNotFoundError:
        raise ConfigError("no such file", file=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise ConfigError("is a directory, not a config file", file=path)
            raise ConfigError(f"not a regular file ({_file_kind(info.st_mode)}): lint reads only config files", file=path)
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(_too_big(info.st_size), file=path)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 24, MAX_CONFIG_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_CONFIG_BYTES:
                raise ConfigError(_too_big(size, growing=True), file=path)
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=path) from None
    finally:
        os.close(fd)


def read_config_text(path: str) -> str:
    """read_config_bytes as text (UTF-8, undecodable bytes replaced, as crossplane reads it)."""
    return read_config_bytes(path).decode("utf-8", errors="replace")


def _too_big(size: int, *, growing: bool = False) -> str:
    limit = f"{MAX_CONFIG_BYTES // (1 << 20)} MiB"
    return f"{'grew past' if growing else f'{size:,} bytes, over'} lint's limit of {limit} for one config file"


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a file")


def include_bases(config: str) -> list[str]:
    """Directories a relative include path is looked up in, first match wins.

    nginx resolves it against the directory of nginx.conf. A file linted on its own (a
    sites-enabled file including snippets/x.conf) does not say where that is, so its own
    directory is tried first, then each directory above it (/etc/nginx for Debian's layout),
    then /etc/nginx.
    """
    directory = os.path.dirname(os.path.abspath(config))
    bases = [directory]
    while os.path.dirname(directory) != directory:
        directory = os.path.dirname(directory)
        bases.append(directory)
    if os.path.isdir(DEFAULT_CONF_DIR) and DEFAULT_CONF_DIR not in bases:
        bases.append(DEFAULT_CONF_DIR)  # where this machine's nginx looks
    return bases


def resolve_include(pattern: str, bases: Sequence[str]) -> tuple[list[str], bool, str | None]:
    """(files an include names, whether it may match nothing, the base directory it was
    found in). A glob matching nothing is silently empty in nginx; a plain path that does
    not exist is an error."""
    magic = glob.has_magic(pattern)
    absolute = os.path.isabs(pattern)
    candidates = [(pattern, None)] if absolute else [(os.path.join(base, pattern), base) for base in bases]
    for candidate, base in candidates:
        if magic:
            # Anything but a directory: a FIFO or device there is refused by the reader (nginx
            # would hang on it or read it forever), not skipped.
            found = sorted(p for p in glob.glob(candidate) if os.path.exists(p) and not os.path.isdir(p))
            if found:
                return found, True, base
        elif os.path.exists(candidate) and not os.path.isdir(candidate):
            return [candidate], False, base
    return [], magic, None


@dataclass(eq=False, slots=True)
class _Frame:
    """One block being read: a file's top level or a { } in it. The reader keeps these on
    a list, not on Python's call stack, so that nesting as deep as nginx reads (10^4 blocks
    or includes) needs no recursion."""

    tokens: _Tokens
    path: str
    statements: list[Node]  # where statements go: an included file's go into the includer's block
    real: str | None = None  # on a file's top level: the file, resolved (an include cycle comes back to it)
    pending: Iterator[tuple[str, bool, str, bool, int]] | None = None  # the rest of a Run
    includes: list[str] = field(default_factory=list)  # files of a glob include still to read, reversed
    include_node: Node | None = None  # the include statement that named them


class _Reader:
    def __init__(self, tree: ConfigTree, bases: list[str]) -> None:
        self.tree = tree
        self.bases = bases
        self.used_bases: list[str] = []
        self._reading: set[str] = set()  # files whose top level is on the frame list
        self._warned_depth = False

    def read(self, path: str) -> list[Node]:
        statements: list[Node] = []
        frames = [self._file_frame(path, statements, None)]
        while frames:
            self._step(frames)
        return statements

    def _file_frame(self, path: str, statements: list[Node], include: Node | None) -> _Frame:
        real = os.path.realpath(path)
        if real in self._reading:
            # nginx does not notice: it includes the file again until its stack overflows.
            where = {"file": include.file, "line": include.line} if include is not None else {"file": path}
            raise ConfigError(f"include cycle: {path} includes itself (nginx would recurse until it crashes)", **where)
        text = read_config_text(path)
        _refuse_long_token(text, path)
        _refuse_glued_quote(text, path)
        if path not in self.tree.files:
            self.tree.files.append(path)
        self.tree.comments.setdefault(path, {})
        self.tree.code_lines.setdefault(path, set())
        self._reading.add(real)
        eof_line = text.count("\n") + 1  # where nginx reports "unexpected end of file"
        return _Frame(_Tokens(path, text, eof_line), path, statements, real)

    def _step(self, frames: list[_Frame]) -> None:
        """Read one statement (or end one block) of the innermost frame."""
        frame = frames[-1]
        path = frame.path
        if frame.includes:
            included = frame.includes.pop()
            frames.append(self._file_frame(included, frame.statements, frame.include_node))
            self._check_depth(frames, frame.include_node)
            return
        code_lines = self.tree.code_lines[path]
        if frame.pending is not None:  # plain `KEY VALUE;` statements, one a line (lexer.py)
            # In one loop, not a step each (a map's 10^5 entries), until one is an include:
            # its file is read before the statements after it.
            add, mark = self._add, code_lines.add
            for key, key_quoted, value, value_quoted, line in frame.pending:
                if len(key) >= _LONG_WORD or len(value) >= _LONG_WORD:
                    _refuse_long_words([(key, key_quoted), (value, value_quoted)], path, line)
                mark(line)
                add(frame, _node(key, [value], path, line))
                if frame.includes:
                    return
            frame.pending = None
            return
        comments = self.tree.comments[path]
        tokens = frame.tokens
        item = tokens.next()
        if item is None:
            if frame.real is None:
                raise ConfigError('unexpected end of file, expecting "}"', file=path, line=tokens.eof_line)
            self._reading.discard(frame.real)
            frames.pop()
            return
        if isinstance(item, Run):
            frame.pending = iter(item.statements)
            return
        token, line, quoted = item
        if not quoted and token == "}":
            code_lines.add(line)
            if frame.real is not None:
                raise ConfigError('unexpected "}"', file=path, line=line)
            frames.pop()
            return
        if not quoted and token.startswith("#"):
            comments.setdefault(line, []).append(token[1:])
            return
        code_lines.add(line)
        if not quoted and token in ("{", ";"):
            raise ConfigError(f'unexpected "{token}"', file=path, line=line)
        args: list[str] = []
        while True:
            try:
                arg_item = tokens.next()
            except ConfigError as exc:
                if "end of file" not in exc.message:
                    raise
                arg_item = None
            if arg_item is None:
                raise ConfigError('unexpected end of file, expecting ";" or "}"', file=path, line=tokens.eof_line)
            assert not isinstance(arg_item, Run)  # a run comes only where a statement starts
            arg, arg_line, arg_quoted = arg_item
            if not arg_quoted and arg in ("{", ";", "}"):
                code_lines.add(arg_line)
                terminator = arg
                break
            if not arg_quoted and arg.startswith("#"):
                comments.setdefault(arg_line, []).append(arg[1:])
                continue
            code_lines.add(arg_line)
            args.append(arg)
        if terminator == "}":
            raise ConfigError('unexpected "}"', file=path, line=arg_line)
        node = _node(token, args, path, line)
        if terminator == "{":
            node.block = []
            frame.statements.append(node)
            frames.append(_Frame(tokens, path, node.block))
            self._check_depth(frames, node)
        else:
            self._add(frame, node)

    def _check_depth(self, frames: list[_Frame], node: Node | None) -> None:
        if len(frames) > NGINX_STACK_DEPTH and not self._warned_depth and node is not None:
            self._warned_depth = True
            self.tree.warnings.append(
                f"{node.where}: blocks and includes nested over {NGINX_STACK_DEPTH:,} deep: nginx reads each level "
                "with a recursive call and may crash here (Debian's nginx 1.22 with the default 8 MiB stack "
                "crashed at about 13,000 nested locations)"
            )

    def _add(self, frame: _Frame, node: Node) -> None:
        if node.name == "include" and node.block is None:
            files = self._include(node)
            frame.includes = files[::-1]
            frame.include_node = node
            if not files:
                frame.statements.append(node)  # kept where it stands: the rules see what was not read
        else:
            frame.statements.append(node)

    def _include(self, node: Node) -> list[str]:
        if len(node.args) != 1:
            raise ConfigError('invalid number of arguments in "include" directive', file=node.file, line=node.line)
        files, may_be_empty, base = resolve_include(node.args[0], self.bases)
        if base is not None:
            self.used_bases.append(base)
        if not files:
            self.tree.unread_includes.append(node)
        if not files and not may_be_empty:
            # Not fatal: a config linted away from its server (CI) often includes files only the
            # server has (certbot's options-ssl-nginx.conf). nginx -t reports it there.
            self.tree.warnings.append(
                f"{node.where}: include {node.args[0]}: no such file here, skipped (nginx -t fails where it is missing)"
            )

        return files


# nginx reads a config through a 4 KiB buffer (NGX_CONF_BUFFER, ngx_conf_file.c): a word,
# quoted string or comment that fills it is refused, "too long parameter".
NGINX_CONF_BUFFER = 4096
_LONG_WORD = (NGINX_CONF_BUFFER - 1) // 4  # characters: a shorter word is never too long in UTF-8 bytes
# A stretch this long without white space, `;`, `{` or `}` lies in one word, quoted string
# or comment, which nginx refuses if the stretch ends it (where and how: _too_long). The regex
# engine finds one before crossplane lexes the text one character at a time (a 50 MB word
# would take it a minute). Tried only where a stretch starts (the lookbehind): from every
# position, the engine would rescan each word once per character of it.
_LONG_STRETCH = re.compile(rf"(?<![^ \t\r\n;{{}}])[^ \t\r\n;{{}}]{{{NGINX_CONF_BUFFER - 1}}}")
_QUOTED_REST = {quote: re.compile(rf"(?:[^{quote}\\]|\\.)*{quote}", re.DOTALL) for quote in "\"'"}
_WORD_REST = re.compile(r"[^ \t\r\n;{]*")


# nginx wants white space, `;`, `{` or `)` right after a quoted string; crossplane starts a new
# word there, so an unclosed quote that pairs with the next string's opening one reads as
# valid (`add_header X "a;` ... `"public"`: nginx says unexpected "p"; a location vanishes).
# A candidate: a quoted string followed by another character (a closing quote taken for an
# opening one matches too, so candidates are confirmed by reading the text).
_GLUED_CANDIDATE = re.compile(r""""(?:[^"\\]|\\.)*"[^ \t\r\n;{)]|'(?:[^'\\]|\\.)*'[^ \t\r\n;{)]""", re.S)
# The text as nginx's tokenizer cuts it: white space, a comment, a quoted string, a block edge
# or `;`, a bare word (a quote inside it is an ordinary character).
# nginx's white space is space, tab, CR and LF only (not \v, \f or Unicode's).
_NGINX_TOKEN = re.compile(
    r"""[ \t\r\n]+|#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[;{}]|(?:\\.|[^ \t\r\n;{"'#\\])(?:\\.|[^ \t\r\n;{\\])*""", re.S
)
_LUA_BLOCK = re.compile(r"^[ \t]*[a-z_]*lua[a-z_]*_block\b", re.M)


def _refuse_glued_quote(text: str, path: str) -> None:
    """ConfigError where nginx finds a character glued to a quoted string's end."""
    if _GLUED_CANDIDATE.search(text) is None or _LUA_BLOCK.search(text):
        return  # lua blocks are read by the lua module's own lexer
    # Runs of plain one-line statements (a big map's entries) hold no such string: the lexer's
    # line grammar wants white space after each word. Only their line breaks are kept.
    text = PLAIN_RUNS.sub(lambda run: "\n" * run.group().count("\n"), text)
    position = 0
    while position < len(text):
        token = _NGINX_TOKEN.match(text, position)
        if token is None:
            return  # a string that never closes: the reader says where the file ends
        position = token.end()
        if token.group()[0] in "\"'" and position < len(text) and text[position] not in " \t\r\n;{)":
            line = text.count("\n", 0, position) + 1
            raise ConfigError(f'unexpected "{text[position]}"', file=path, line=line)


def _refuse_long_token(text: str, path: str) -> None:
    position = 0
    while (found := _LONG_STRETCH.search(text, position)) is not None:
        start = max(text.rfind(char, 0, found.start()) for char in " \t\r\n;{}") + 1
        problem, end = _too_long(text, start)
        if problem is not None:
            raise ConfigError(problem, file=path, line=text.count("\n", 0, start) + 1)
        position = max(end, found.end())


def _too_long(text: str, start: int) -> tuple[str | None, int]:
    """nginx's complaint about the word, quoted string or comment at `start` (None if it
    fits), and where it ends.

    nginx keeps the bytes from a word's start (a quoted string's: after the quote) in its
    buffer until the character after the word's end has been read, a white space one too
    (but not the line feed that ends a comment): when they fill NGX_CONF_BUFFER, it refuses.
    """

    def size(begin: int, end: int) -> int:
        return len(text[begin:end].encode("utf-8", errors="replace"))

    first = text[start]
    if first in _QUOTED_REST:
        closed = _QUOTED_REST[first].match(text, start + 1)
        if closed is None or size(start + 1, closed.end() - 1) >= NGINX_CONF_BUFFER:
            return f'too long parameter, probably missing terminating "{first}" character', len(text)
        end = closed.end()
        kept = size(start + 1, end) + (text[end : end + 1] in (" ", "\t", "\r", "\n"))
        return (f'too long parameter "{_head(text[start + 1 : start + 11])}..." started' if kept >= NGINX_CONF_BUFFER else None), end
    if first == "#":
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        kept = size(start, end)
    else:
        end = _WORD_REST.match(text, start).end()  # type: ignore[union-attr]  # matches the empty string
        kept = size(start, end) + (text[end : end + 1] in (" ", "\t", "\r", "\n"))
    return (f'too long parameter "{_head(text[start : start + 10])}..." started' if kept >= NGINX_CONF_BUFFER else None), end


def _head(text: str) -> str:
    """The first 10 bytes, as nginx shows a too long word ("%*s" with 10)."""
    return text[:10].encode("utf-8", errors="replace")[:10].decode("utf-8", errors="replace")


def _refuse_long_words(words: list[tuple[str, bool]], path: str, line: int) -> None:
    """nginx's "too long parameter" for a word crossplane yielded (quotes removed)."""
    for word, quoted in words:
        size = len(word.encode("utf-8", errors="replace"))
        if quoted and size >= NGINX_CONF_BUFFER - 1:  # the buffer holds the closing quote too
            message = 'too long parameter, probably missing terminating """ character' if size >= NGINX_CONF_BUFFER else (
                f'too long parameter "{_head(word)}..." started')
            raise ConfigError(message, file=path, line=line)
        if not quoted and size >= NGINX_CONF_BUFFER:
            raise ConfigError(f'too long parameter "{_head(word)}..." started', file=path, line=line)


class _Tokens:
    """The file's tokens (lexer.py) as a pull iterator; crossplane's errors become ConfigErrors."""

    def __init__(self, path: str, text: str, eof_line: int) -> None:
        self.path = path
        self.eof_line = eof_line
        # crossplane drops a word the file ends in (a last `\`, a word without a line break
        # after it) instead of saying the statement is unfinished; two line breaks more end
        # that word (the first may be what a last `\` escapes), and then the reader does.
        self._it = tokens(text + "\n\n")

    def next(self) -> Token | Run | None:
        try:
            item = next(self._it)
        except StopIteration:
            return None
        except NgxParserBaseException as exc:
            line = self.eof_line if "end of file" in exc.strerror else exc.lineno
            raise ConfigError(exc.strerror, file=self.path, line=line) from None
        if not isinstance(item, Run) and len(item[0]) >= _LONG_WORD:
            _refuse_long_words([(item[0], item[2])], self.path, item[1])
        return item


def _node(token: str, args: list[str], path: str, line: int) -> Node:
    """A statement from its words as lexed: unescaped the way nginx reads them."""
    name = nginx_unescape(token)
    unescaped = [nginx_unescape(arg) for arg in args]
    if name == "if":
        unescaped = _if_args(unescaped)
    return Node(name, tuple(unescaped), path, line)


def _if_args(args: list[str]) -> list[str]:
    """`if ($a = b)`: the parentheses removed, as crossplane does."""
    if args and args[0].startswith("(") and args[-1].endswith(")"):
        args = list(args)
        args[0] = args[0][1:].lstrip()
        args[-1] = args[-1][:-1].rstrip()
        start = int(not args[0])
        end = len(args) - int(not args[-1])
        return args[start:end]
    return args


def infer_context(statements: list[Node]) -> str:
    """The outermost context in which every top-level directive of the file is allowed."""
    names = [node.name for node in statements if node.name in DIRECTIVES]
    best, best_allowed = "main", -1
    for context, ctx in ROOT_CONTEXTS.items():
        allowed = sum(1 for name in names if any(mask & CONTEXTS[ctx] for mask in DIRECTIVES[name]))
        if allowed == len(names):
            return context
        if allowed > best_allowed:
            best, best_allowed = context, allowed
    return best


def _link(root: Node) -> None:
    pending = [root]  # a list, not recursion: blocks may nest 10^4 deep
    while pending:
        parent = pending.pop()
        for child in parent.block or ():
            child.parent = parent
            if child.block is not None:
                pending.append(child)


def _analyze(statements: list[Node], ctx: tuple[str, ...]) -> None:
    """crossplane's context and argument-count checks, at the context nginx reads each in,
    in file order (the first error is the one nginx reports)."""
    # A list of open blocks, not recursion: blocks may nest 10^4 deep.
    pending: list[tuple[Iterator[Node], tuple[str, ...]]] = [(iter(statements), ctx)]
    while pending:
        block, block_ctx = pending[-1]
        node = next(block, None)
        if node is None:
            pending.pop()
            continue
        # analyze() checks nothing in other contexts (map, geo, types...); njs's directives have
        # spread to more contexts than crossplane's table knows (js_set in server and location
        # since njs 0.7.7): nginx -t judges them (--nginx-test)
        if block_ctx in CONTEXTS and not node.name.startswith(_NJS_PREFIX):
            stmt = {"directive": node.name, "line": node.line, "args": list(node.args)}
            terminator = "{" if node.block is not None else ";"
            try:
                analyze(node.file, stmt, terminator, block_ctx, strict=False, check_ctx=True, check_args=True)
            except NgxParserBaseException as exc:
                raise ConfigError(exc.strerror, file=node.file, line=node.line) from None
        if node.block is not None:
            pending.append((iter(node.block), enter_block_ctx({"directive": node.name}, block_ctx)))
