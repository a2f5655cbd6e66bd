"""The UI catalogues: every message of the host and of each plugin that ships a ``translations`` folder has a
reviewed zh_CN translation, the catalogues are up to date with the sources, the compiled catalogues are the ones
the application loads, and the language switch turns the pages Chinese or English.

Catalogues are maintained with ``make messages`` (extract with babel.cfg, update every locale) and compiled with
``make translations`` (part of ``make install``, so ``make test`` always runs on fresh ``.mo`` files).

Simplified Chinese lives in ``translations/zh_Hans_CN``: Flask-Babel parses the selected ``zh_CN`` into Babel's
``zh_Hans_CN`` and only looks in the folder of that name (or ``zh``); a ``zh_CN`` folder would silently never load.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
BABEL_CFG = ROOT / "babel.cfg"
LOCALES = ("zh_Hans_CN",)
CATALOGUES = [ROOT / "hostapp" / "translations", *sorted(ROOT.glob("plugins/*/scrm_*/translations"))]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue_id(folder: Path) -> str:
    return folder.parent.name


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def po_path(folder: Path, locale: str) -> Path:
    return folder / locale / "LC_MESSAGES" / "messages.po"


def msgids(catalog: Catalog) -> set:
    return {message.id for message in catalog if message.id}


def extracted_msgids(package: Path) -> set:
    """The messages ``make messages`` would extract from ``package`` today (the rules of babel.cfg)."""
    with BABEL_CFG.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(BABEL_CFG))
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(str(package), method_map, options_map):
        assert context is None, "message contexts are not used in the catalogues"
        found.add(message)
    return found


catalogues = pytest.mark.parametrize("folder", CATALOGUES, ids=catalogue_id)
catalogues_and_locales = pytest.mark.parametrize(
    ("folder", "locale"), [(folder, locale) for folder in CATALOGUES for locale in LOCALES],
    ids=lambda value: catalogue_id(value) if isinstance(value, Path) else value)


def test_the_host_has_a_catalogue_and_every_plugin_catalogue_is_found():
    assert po_path(ROOT / "hostapp" / "translations", "zh_Hans_CN").is_file()
    for folder in CATALOGUES:
        assert (folder / "messages.pot").is_file(), f"{folder}: run `make messages`"
        for locale in LOCALES:
            assert po_path(folder, locale).is_file(), f"{folder}: no {locale} catalogue"


@catalogues
def test_every_locale_folder_has_the_name_flask_babel_looks_for(folder):
    for locale_dir in (d for d in folder.iterdir() if d.is_dir()):
        expected = str(Locale.parse(locale_dir.name))
        assert locale_dir.name == expected, f"{locale_dir} is never loaded: Flask-Babel looks for {expected}"


@catalogues_and_locales
def test_every_message_has_a_reviewed_translation(folder, locale):
    catalog = read_catalog(po_path(folder, locale))
    assert not catalog.fuzzy, f"{locale}: the catalogue header is marked fuzzy"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
        elif {p for i in ids for p in PLACEHOLDER.findall(i)} != {p for s in strings for p in PLACEHOLDER.findall(s)}:
            problems.append(f"placeholders differ: {ids[0]!r} -> {strings!r}")
        problems.extend(f"{ids[0]!r}: {error}" for error in message.check(catalog))
    assert problems == [], f"{po_path(folder, locale)}:\n" + "\n".join(problems)


@catalogues_and_locales
def test_translations_are_chinese_and_not_copies_of_the_english(folder, locale):
    """A msgstr copied from the msgid passes the checks above; at least most strings must really be Chinese."""
    catalog = read_catalog(po_path(folder, locale))
    pairs = [(m.id, m.string) for m in catalog if m.id and not isinstance(m.id, tuple)]
    chinese = [s for _i, s in pairs if re.search(r"[\u4e00-\u9fff]", s)]
    assert len(chinese) >= 0.9 * len(pairs), f"{len(pairs) - len(chinese)} of {len(pairs)} strings are not Chinese"


@catalogues
def test_the_catalogue_is_up_to_date_with_the_sources(folder):
    """A string added, changed or removed in the code fails here until ``make messages`` and a translation."""
    in_code = extracted_msgids(folder.parent)
    assert in_code, f"nothing extracted from {folder.parent}"
    template = msgids(read_catalog(folder / "messages.pot"))
    assert sorted(map(str, in_code - template)) == [], "new in the code, missing in messages.pot: run `make messages`"
    assert sorted(map(str, template - in_code)) == [], "gone from the code, still in messages.pot: run `make messages`"
    for locale in LOCALES:
        translated = msgids(read_catalog(po_path(folder, locale)))
        assert sorted(map(str, in_code - translated)) == [], f"missing in {locale}/messages.po: run `make messages`"
        assert sorted(map(str, translated - in_code)) == [], f"obsolete in {locale}/messages.po: run `make messages`"


@catalogues_and_locales
def test_the_compiled_catalogue_matches_the_po_file(folder, locale):
    """What the app loads (the .mo) is what the .po says; ``make translations`` compiles it."""
    mo = po_path(folder, locale).with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: run `make translations`"
    with mo.open("rb") as f:
        compiled = {(tuple(m.id), tuple(m.string)) if m.pluralizable else (m.id, m.string) for m in read_mo(f) if m.id}
    source = {(m.id, m.string) for m in read_catalog(po_path(folder, locale)) if m.id and not m.fuzzy}
    assert compiled == source, f"{mo} is stale: run `make translations`"


# -- the running host ----------------------------------------------------------------------------------------------


@pytest.fixture
def tenant_admin(make_user, tenant):
    return make_user("boss@acme.test", tenant, role="tenant_admin")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_login_page_follows_the_language_switch(client):
    client.get("/lang/zh_CN")
    html = page(client, "/login")
    assert "<h1>登录</h1>" in html and "邮箱" in html and "密码" in html
    assert "Sign in" not in html and "Password" not in html

    client.get("/lang/en")
    html = page(client, "/login")
    assert "<h1>Sign in</h1>" in html and "Password" in html
    assert "登录" not in html


def test_tenant_pages_follow_the_language_switch(client, login, tenant_admin):
    login(tenant_admin)
    client.get("/lang/zh_CN")
    html = page(client, "/t/acme/customers")
    assert "<h1>客户</h1>" in html and "客户在会员插件中管理" in html
    assert ">首页</a>" in html and ">审计日志</a>" in html and "退出登录" in html
    assert "Customers" not in html and "Sign out" not in html
    assert "<h1>API 令牌</h1>" in page(client, "/t/acme/tokens")

    client.get("/lang/en")
    html = page(client, "/t/acme/customers")
    assert "<h1>Customers</h1>" in html and "Customers are managed in the Members plugin" in html
    assert ">Home</a>" in html and ">Audit log</a>" in html
    assert "客户" not in html


def test_messages_from_python_code_are_translated_too(client, login, tenant_admin):
    """Flash messages (gettext in views) and menu labels (lazy_gettext in hook implementations)."""
    login(tenant_admin)
    client.get("/lang/zh_CN")
    response = client.post("/t/acme/tokens", data={"name": ""})
    assert response.status_code == 400
    assert "请为令牌填写名称，最多 100 个字符。" in response.get_data(as_text=True)
    client.get("/lang/en")
    response = client.post("/t/acme/tokens", data={"name": ""})
    assert "Give the token a name of at most 100 characters." in response.get_data(as_text=True)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_is_translated_two_ways_across_catalogues(locale):
    """The host merges every catalogue into one: a msgid two catalogues translate differently would show whichever
    catalogue loads last (which depends on plugin order). A plugin that means something else uses its own msgid
    ("Group owner", not "Owner")."""
    translations: dict[str, dict[str, str]] = {}
    for folder in CATALOGUES:
        for message in read_catalog(po_path(folder, locale)):
            if message.id:
                key = message.id if isinstance(message.id, str) else message.id[0]
                string = message.string if isinstance(message.string, str) else message.string[0]
                translations.setdefault(key, {})[catalogue_id(folder)] = string
    conflicts = {key: by for key, by in translations.items() if len(set(by.values())) > 1}
    assert conflicts == {}
