"""Refuse answers the template cannot build, before any file is written.

Copier runs no script before rendering: the validators in copier.yml refuse the same answers
with the same rules and messages (names also in hooks/python-names.yml). tests/test_copier.py
feeds the same bad answers to both engines, so change the rules in both places.
"""

from __future__ import annotations

import json
import re
import sys

# Rendered as JSON inside raw strings, so no answer can break this file's syntax.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""
QUESTIONS_JSON = r"""{{ _cookiecutter | default({}) | tojson }}"""  # with their choices

# Longer names would push generated import lines past the 100-column lint limit.
MAX_NAME_LENGTH = 40
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$")
# Names Python reserves, in every version a generated project may run on (3.11 to 3.13),
# whichever Python runs this hook: the keywords (soft ones too, `type` since 3.12) and the
# standard library's modules (Python 3.11's sys.stdlib_module_names, which also holds the
# modules 3.12 and 3.13 dropped; they added no public ones). copier.yml's validators read
# the same names from hooks/python-names.yml; tests/test_copier.py keeps the two equal.
PYTHON_KEYWORDS = frozenset(
    """
    False None True _ and as assert async await break case class continue def del elif else
    except finally for from global if import in is lambda match nonlocal not or pass raise
    return try type while with yield
    """.split()  # noqa: SIM905 (a word list reads better than 300 quoted strings)
)
STDLIB_MODULES = frozenset(
    """
    __future__ _abc _aix_support _ast _asyncio _bisect _blake2 _bootsubprocess _bz2 _codecs
    _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp _codecs_kr _codecs_tw _collections
    _collections_abc _compat_pickle _compression _contextvars _crypt _csv _ctypes _curses
    _curses_panel _datetime _dbm _decimal _elementtree _frozen_importlib
    _frozen_importlib_external _functools _gdbm _hashlib _heapq _imp _io _json _locale
    _lsprof _lzma _markupbase _md5 _msi _multibytecodec _multiprocessing _opcode _operator
    _osx_support _overlapped _pickle _posixshmem _posixsubprocess _py_abc _pydecimal _pyio
    _queue _random _scproxy _sha1 _sha256 _sha3 _sha512 _signal _sitebuiltins _socket
    _sqlite3 _sre _ssl _stat _statistics _string _strptime _struct _symtable _thread
    _threading_local _tkinter _tokenize _tracemalloc _typing _uuid _warnings _weakref
    _weakrefset _winapi _zoneinfo abc aifc antigravity argparse array ast asynchat asyncio
    asyncore atexit audioop base64 bdb binascii bisect builtins bz2 cProfile calendar cgi
    cgitb chunk cmath cmd code codecs codeop collections colorsys compileall concurrent
    configparser contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses
    datetime dbm decimal difflib dis distutils doctest email encodings ensurepip enum errno
    faulthandler fcntl filecmp fileinput fnmatch fractions ftplib functools gc genericpath
    getopt getpass gettext glob graphlib grp gzip hashlib heapq hmac html http idlelib
    imaplib imghdr imp importlib inspect io ipaddress itertools json keyword lib2to3
    linecache locale logging lzma mailbox mailcap marshal math mimetypes mmap modulefinder
    msilib msvcrt multiprocessing netrc nis nntplib nt ntpath nturl2path numbers opcode
    operator optparse os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil platform
    plistlib poplib posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc
    pydoc_data pyexpat queue quopri random re readline reprlib resource rlcompleter runpy
    sched secrets select selectors shelve shlex shutil signal site smtpd smtplib sndhdr
    socket socketserver spwd sqlite3 sre_compile sre_constants sre_parse ssl stat statistics
    string stringprep struct subprocess sunau symtable sys sysconfig syslog tabnanny tarfile
    telnetlib tempfile termios textwrap this threading time timeit tkinter token tokenize
    tomllib trace traceback tracemalloc tty turtle turtledemo types typing unicodedata
    unittest urllib uu uuid venv warnings wave weakref webbrowser winreg winsound wsgiref
    xdrlib xml xmlrpc zipapp zipfile zipimport zlib zoneinfo
    """.split()  # noqa: SIM905 (a word list reads better than 300 quoted strings)
)
# Importing the service or its tools would pick up the project instead of these.
DEPENDENCY_PACKAGES = frozenset(
    {
        "aioboto3",
        "aiobotocore",
        "aiosqlite",
        "alembic",
        "argon2",
        "asgi_correlation_id",
        "asgi_lifespan",
        "asyncmy",
        "asyncpg",
        "boto3",
        "botocore",
        "cachetools",
        "email_validator",
        "fastapi",
        "fastapi_offline",
        "filetype",
        "httpx",
        "jwt",
        "multipart",
        "mypy",
        "prometheus_client",
        "pwdlib",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "python_multipart",
        "redis",
        "sqlalchemy",
        "starlette",
        "structlog",
        "tests",
        "tusclient",
        "uvicorn",
    }
)


def check_slug(slug: str) -> str | None:
    if len(slug) > MAX_NAME_LENGTH:
        return f"project_slug {slug!r} is longer than {MAX_NAME_LENGTH} characters"
    if SLUG_PATTERN.match(slug):
        return None
    return (
        f"project_slug {slug!r} is not a valid distribution name: use lowercase "
        "letters, digits and single hyphens, starting with a letter"
    )


def check_package_name(name: str) -> str | None:
    if len(name) > MAX_NAME_LENGTH:
        return f"package_name {name!r} is longer than {MAX_NAME_LENGTH} characters"
    if not PACKAGE_PATTERN.match(name):
        return (
            f"package_name {name!r} is not a lowercase Python identifier "
            "(letters, digits, '_'; not starting with a digit)"
        )
    if name in PYTHON_KEYWORDS:
        return f"package_name {name!r} is a Python keyword"
    if name in STDLIB_MODULES:
        return f"package_name {name!r} would shadow the standard library module {name!r}"
    if name in DEPENDENCY_PACKAGES:
        return f"package_name {name!r} would shadow the dependency {name!r}"
    return None


def check_email(email: str) -> str | None:
    if EMAIL_PATTERN.match(email):
        return None
    return f"author_email {email!r} is not an email address"


def check_choices(answers: dict[str, str], choices: dict[str, list[str]]) -> str | None:
    for question, allowed in choices.items():
        answer = answers.get(question)
        if answer is not None and answer not in allowed:
            return f"{question} {answer!r} is not supported; choose one of: {', '.join(allowed)}"
    return None


def template_choices(questions: dict[str, object]) -> dict[str, list[str]]:
    """The multiple-choice questions and their allowed answers."""
    return {name: value for name, value in questions.items() if isinstance(value, list)}


def problems(answers: dict[str, str], choices: dict[str, list[str]]) -> list[str]:
    """Every reason to refuse these answers, one line each."""
    found = [
        check_slug(answers["project_slug"]),
        check_package_name(answers["package_name"]),
        check_email(answers["author_email"]),
        check_choices(answers, choices),
    ]
    return [problem for problem in found if problem is not None]


def main() -> int:
    found = problems(json.loads(ANSWERS_JSON), template_choices(json.loads(QUESTIONS_JSON)))
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
