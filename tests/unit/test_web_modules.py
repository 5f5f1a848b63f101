"""The pages' ES modules fit together: every name one imports, the module it names exports.

A browser under the pages' strict CSP loads them one by one from /static/; a wrong import only
shows there, as a blank page. Plain file reading, no browser.
"""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "chalicelib" / "web"
IMPORT = re.compile(r"^import \{([^}]*)\} from '\./([\w.-]+)';", re.MULTILINE)
EXPORT = re.compile(r"^export (?:async )?(?:function|const|class|let) (\w+)", re.MULTILINE)


def modules() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(WEB.glob("*.js"))}


def test_every_imported_name_is_exported_by_the_module_it_is_imported_from():
    sources = modules()
    exports = {name: set(EXPORT.findall(source)) for name, source in sources.items()}
    wrong = {}
    for name, source in sources.items():
        for names, target in IMPORT.findall(source):
            imported = {part.strip() for part in names.split(",") if part.strip()}
            if target not in sources:
                wrong[(name, target)] = "no such module"
            elif imported - exports[target]:
                wrong[(name, target)] = sorted(imported - exports[target])
    assert not wrong, wrong


def test_the_modules_import_each_other_only_by_relative_flat_names():
    """/static/{name} serves flat names only; an import that is not './x.js' would not load."""
    wrong = {name: line for name, source in modules().items()
             for line in re.findall(r"^import\b[^;]*;", source, re.MULTILINE) if not IMPORT.fullmatch(line)}
    assert not wrong, wrong
