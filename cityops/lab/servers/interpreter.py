"""The Python a lab server's own OS carries (2.6 on RHEL 6, 2.7 on CentOS 7, 3.6, 3.7 on Kylin V10 ...).

Debian 12 and PyPI carry none of these interpreters, so each is a stand-in that keeps what a tool meets on the
real host: the version it reports (`-V`, `sys.version_info`, `sys.version`, `platform.python_version()`), the
syntax it refuses (a program is parsed with the grammar of that release: `ast.parse(feature_version=…)` for 3.x,
unknown `from __future__` features, `print` as a statement on 3.x), and the standard modules it does not have
yet (`dataclasses` before 3.7, `importlib.metadata` before 3.8 …). What passes those gates runs on this
machine's interpreter under the old version's identity — so ansible-core's own check (`ansible-core requires a
minimum of Python version 3.8`) fires on a 3.7 host exactly as there, and its wrapper's `from __future__ import
annotations` is a SyntaxError on 2.6, 2.7 and 3.6, as there.

A program written for Python 2 only (`print "x"`) cannot run on this stand-in: it stops with a message saying
so, never by pretending to succeed.
"""

from __future__ import annotations

import ast
import builtins
import os
import sys
import sysconfig
import traceback

RELEASES = {"2.6": "2.6.6", "2.7": "2.7.5", "3.5": "3.5.2", "3.6": "3.6.8", "3.7": "3.7.9"}
BUILT = {"2.6": "(r266:84292, Aug 18 2016, 15:13:37) \n[GCC 4.4.7 20120313 (Red Hat 4.4.7-17)]",
         "2.7": "(default, Nov 16 2020, 22:23:17) \n[GCC 4.8.5 20150623 (Red Hat 4.8.5-44)]",
         "3.5": "(default, Jun 22 2016, 18:02:35) \n[GCC 4.8.3]",
         "3.6": "(default, Nov 16 2020, 16:55:22) \n[GCC 4.8.5 20150623 (Red Hat 4.8.5-44)]",
         "3.7": "(default, Jul 24 2021, 10:55:10) \n[GCC 7.3.0]"}
FUTURE = {"nested_scopes": (2, 1), "generators": (2, 2), "division": (2, 2), "absolute_import": (2, 5),
          "with_statement": (2, 5), "print_function": (2, 6), "unicode_literals": (2, 6), "generator_stop": (3, 5),
          "annotations": (3, 7)}
NEW_MODULES = {"argparse": (2, 7), "importlib": (2, 7), "ipaddress": (3, 3), "lzma": (3, 3), "venv": (3, 3),
               "pathlib": (3, 4), "enum": (3, 4), "asyncio": (3, 4), "selectors": (3, 4), "statistics": (3, 4),
               "typing": (3, 5), "zipapp": (3, 5), "secrets": (3, 6), "dataclasses": (3, 7), "contextvars": (3, 7),
               "importlib.resources": (3, 7), "importlib.metadata": (3, 8), "zoneinfo": (3, 9), "graphlib": (3, 9),
               "tomllib": (3, 11), "configparser": (3, 0), "queue": (3, 0), "socketserver": (3, 0),
               "builtins": (3, 0), "http": (3, 0), "html": (3, 0), "urllib.request": (3, 0), "urllib.parse": (3, 0),
               "concurrent": (3, 2)}
STDLIB = sysconfig.get_paths()["stdlib"]


class VersionInfo(tuple):
    """sys.version_info of the old release: compares as a tuple, has .major, .minor …"""
    major = property(lambda self: self[0])
    minor = property(lambda self: self[1])
    micro = property(lambda self: self[2])
    releaselevel = property(lambda self: self[3])
    serial = property(lambda self: self[4])


def syntax_error(path: str, line: int, text: str, message: str) -> int:
    sys.stderr.write(f'  File "{path}", line {line}\n    {text.strip()}\n'
                     f"{'    ^' if text.strip() else ''}\nSyntaxError: {message}\n")
    return 1


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def gate(source: str, path: str, version: tuple[int, int]) -> int:
    """0 if this release would compile `source`; otherwise its SyntaxError, printed, and 1."""
    lines = source.splitlines() or [""]
    try:
        tree = ast.parse(source, path, feature_version=version if version >= (3, 4) else (3, 4))
    except SyntaxError as exc:
        if version < (3, 0) and not parses(source):
            sys.stderr.write(f"cityops lab: {path} is not Python 3 code; this host's Python {'.'.join(map(str, version))}"
                             " is a stand-in that runs only what both generations accept (no Python 2.x interpreter "
                             "exists on the lab machine)\n")
            return 1
        return syntax_error(path, exc.lineno or 1, exc.text or "", exc.msg if version >= (3, 0) else "invalid syntax")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                if FUTURE.get(alias.name, (9, 9)) > version:
                    return syntax_error(path, node.lineno, lines[node.lineno - 1],
                                        f"future feature {alias.name} is not defined")
        if version < (3, 6) and isinstance(node, ast.JoinedStr):
            return syntax_error(path, node.lineno, lines[node.lineno - 1], "invalid syntax")
    return 0


def guard_imports(version: tuple[int, int]) -> None:
    """Imports by the program of modules its release does not have fail as they would there."""
    real = builtins.__import__

    def old_import(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__file__") or ""
        if level == 0 and not str(importer).startswith(STDLIB):
            for mod in (name, name.split(".")[0]):
                if NEW_MODULES.get(mod, (0, 0)) > version:
                    error = ImportError if version < (3, 6) else ModuleNotFoundError
                    raise error(f"No module named {mod}" if version < (3, 3) else f"No module named '{mod}'")
        return real(name, globals, locals, fromlist, level)

    builtins.__import__ = old_import


def main(argv: list[str]) -> int:
    release = RELEASES[os.environ["CITYOPS_LAB_PYTHON"]]
    major, minor, micro = (int(x) for x in release.split("."))
    version = (major, minor)
    args = list(argv)
    while args and args[0] in ("-E", "-s", "-S", "-u", "-B", "-O", "-OO", "-I", "-tt", "-W", "-x"):
        args.pop(0)
    if args and args[0] in ("-V", "--version"):
        (sys.stderr if major == 2 else sys.stdout).write(f"Python {release}\n")
        return 0
    if args and args[0] == "-c":
        source, path, rest = (args[1] if len(args) > 1 else ""), "<string>", args[2:]
    elif not args or args[0] == "-":
        source, path, rest = sys.stdin.read(), "<stdin>", args[1:]
    elif args[0].startswith("-"):
        sys.stderr.write(f"Unknown option: {args[0]}\nusage: python [option] ... [-c cmd | -m mod | file | -] [arg]"
                         f" ...\n")
        return 2
    else:
        path, rest = args[0], args[1:]
        try:
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
        except OSError as exc:
            sys.stderr.write(f"python: can't open file '{path}': [Errno {exc.errno}] {exc.strerror}\n")
            return 2
    status = gate(source, path, version)
    if status:
        return status
    sys.version_info = VersionInfo((major, minor, micro, "final", 0))
    sys.version = f"{release} {BUILT[f'{major}.{minor}']}"
    sys.hexversion = (major << 24) | (minor << 16) | (micro << 8) | 0xF0
    sys.executable = os.environ.get("CITYOPS_LAB_PYTHON_PATH", f"/usr/bin/python{major}.{minor}")
    sys.argv = [path if path not in ("<string>", "<stdin>") else "-c" if path == "<string>" else "-", *rest]
    guard_imports(version)
    code = compile(source, path, "exec")
    namespace = {"__name__": "__main__", "__file__": path, "__builtins__": builtins}
    try:
        exec(code, namespace)  # nosec B102  # the program the lab host's own interpreter was asked to run
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException as exc:  # the program's own traceback, without this stand-in's frames
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        sys.stderr.write("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
                         + "".join(traceback.format_exception_only(type(exc), exc)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
