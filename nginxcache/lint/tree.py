"""The config tree `lint` reads: every file of it, `include` (globs too) followed here so each
statement keeps its own file and line, arguments unescaped the way nginx reads them.

crossplane lexes each file (but the long runs of plain map entries lexer.py reads faster) and
checks directive contexts and argument counts; includes are spliced by this module because
crossplane's combine=True can give statements after a glob include the wrong file.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from crossplane.analyzer import CONTEXTS, DIRECTIVES, analyze, enter_block_ctx
from crossplane.errors import NgxParserBaseException

from nginxcache.errors import NginxcacheError
from nginxcache.lint.lexer import Run, Token, tokens
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
MAX_INCLUDE_DEPTH = 64
DEFAULT_CONF_DIR = "/etc/nginx"


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

    def children(self, *names: str) -> list[Node]:
        if self.block is None:
            return []
        return [child for child in self.block if not names or child.name in names]

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


def load_tree(paths: Sequence[Path | str]) -> ConfigTree:
    """Read every config file with its includes. Raises ConfigError (file, line) when nginx
    would refuse to read it: a syntax error, a wrong argument count, a directive in the
    wrong context, a missing include."""
    tree = ConfigTree()
    for path in paths:
        name = str(path)
        if not os.path.exists(name):
            raise ConfigError("no such file", file=name)
        if os.path.isdir(name):
            raise ConfigError("is a directory, not a config file", file=name)
        reader = _Reader(tree, include_bases(name))
        statements = reader.read(name, stack=())
        tree.conf_dirs[name] = max(reader.used_bases, key=reader.used_bases.count) if reader.used_bases else reader.bases[0]
        context = infer_context(statements)
        root = Node(name=context, args=(), file=name, line=0, block=statements, is_root=True)
        _link(root)
        _analyze(statements, ROOT_CONTEXTS[context])
        tree.roots.append(root)
    return tree


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
            found = sorted(p for p in glob.glob(candidate) if os.path.isfile(p))
            if found:
                return found, True, base
        elif os.path.isfile(candidate):
            return [candidate], False, base
    return [], magic, None


class _Reader:
    def __init__(self, tree: ConfigTree, bases: list[str]) -> None:
        self.tree = tree
        self.bases = bases
        self.used_bases: list[str] = []

    def read(self, path: str, stack: tuple[str, ...]) -> list[Node]:
        real = os.path.realpath(path)
        if real in stack or len(stack) > MAX_INCLUDE_DEPTH:
            raise ConfigError("include cycle: the file includes itself", file=path)
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", errors="replace")
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror}", file=path) from None
        if path not in self.tree.files:
            self.tree.files.append(path)
        eof_line = text.count("\n") + 1  # where nginx reports "unexpected end of file"
        return self._block(_Tokens(path, text, eof_line), path, (*stack, real), top=True)

    def _block(self, tokens: _Tokens, path: str, stack: tuple[str, ...], top: bool) -> list[Node]:
        statements: list[Node] = []
        comments = self.tree.comments.setdefault(path, {})
        code_lines = self.tree.code_lines.setdefault(path, set())
        while True:
            item = tokens.next()
            if item is None:
                if not top:
                    raise ConfigError('unexpected end of file, expecting "}"', file=path, line=tokens.eof_line)
                return statements
            if isinstance(item, Run):  # plain `KEY VALUE;` statements, one a line (lexer.py)
                for key, _, value, _, line in item.statements:
                    code_lines.add(line)
                    self._add(statements, _node(key, [value], path, line), stack)
                continue
            token, line, quoted = item
            if not quoted and token == "}":
                code_lines.add(line)
                if top:
                    raise ConfigError('unexpected "}"', file=path, line=line)
                return statements
            if not quoted and token.startswith("#"):
                comments.setdefault(line, []).append(token[1:])
                continue
            code_lines.add(line)
            if not quoted and token in ("{", ";"):
                raise ConfigError(f'unexpected "{token}"', file=path, line=line)
            args: list[str] = []
            while True:
                try:
                    item = tokens.next()
                except ConfigError as exc:
                    if "end of file" not in exc.message:
                        raise
                    item = None
                if item is None:
                    raise ConfigError('unexpected end of file, expecting ";" or "}"', file=path, line=tokens.eof_line)
                assert not isinstance(item, Run)  # a run comes only where a statement starts
                arg, arg_line, arg_quoted = item
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
                node.block = self._block(tokens, path, stack, top=False)
            self._add(statements, node, stack)

    def _add(self, statements: list[Node], node: Node, stack: tuple[str, ...]) -> None:
        if node.name == "include" and node.block is None:
            statements.extend(self._include(node, stack))
        else:
            statements.append(node)

    def _include(self, node: Node, stack: tuple[str, ...]) -> list[Node]:
        if len(node.args) != 1:
            raise ConfigError('invalid number of arguments in "include" directive', file=node.file, line=node.line)
        files, may_be_empty, base = resolve_include(node.args[0], self.bases)
        if base is not None:
            self.used_bases.append(base)
        if not files and not may_be_empty:
            # Not fatal: a config linted away from its server (CI) often includes files only the
            # server has (certbot's options-ssl-nginx.conf). nginx -t reports it there.
            self.tree.warnings.append(
                f"{node.where}: include {node.args[0]}: no such file here, skipped (nginx -t fails where it is missing)"
            )
            return []
        spliced: list[Node] = []
        for included in files:
            spliced.extend(self.read(included, stack))
        return spliced


class _Tokens:
    """The file's tokens (lexer.py) as a pull iterator; crossplane's errors become ConfigErrors."""

    def __init__(self, path: str, text: str, eof_line: int) -> None:
        self.path = path
        self.eof_line = eof_line
        self._it = tokens(text)

    def next(self) -> Token | Run | None:
        try:
            return next(self._it)
        except StopIteration:
            return None
        except NgxParserBaseException as exc:
            line = self.eof_line if "end of file" in exc.strerror else exc.lineno
            raise ConfigError(exc.strerror, file=self.path, line=line) from None


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


def _link(parent: Node) -> None:
    for child in parent.block or ():
        child.parent = parent
        if child.block is not None:
            _link(child)


def _analyze(statements: list[Node], ctx: tuple[str, ...]) -> None:
    """crossplane's context and argument-count checks, at the context nginx reads each in."""
    checked = ctx in CONTEXTS  # analyze() checks nothing in other contexts (map, geo, types...)
    for node in statements:
        if checked:
            stmt = {"directive": node.name, "line": node.line, "args": list(node.args)}
            try:
                analyze(node.file, stmt, "{" if node.block is not None else ";", ctx, strict=False, check_ctx=True, check_args=True)
            except NgxParserBaseException as exc:
                raise ConfigError(exc.strerror, file=node.file, line=node.line) from None
        if node.block is not None:
            _analyze(node.block, enter_block_ctx({"directive": node.name}, ctx))
