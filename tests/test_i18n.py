"""The translation catalogs: complete, consistent with the code, compiled, and used by the app."""

from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from cnn_core import i18n
from cnn_core.messages import CATALOG, msg

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _po(lang: str):
    with open(i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", "rb") as f:
        return read_po(f)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


def _entries(lang: str):
    """(source texts, translations) of every entry but the header."""
    for message in _po(lang):
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            yield message, ids, strings


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """What the code marks for translation today, extracted as `scripts/catalogs.py update` does."""
    spec = importlib.util.spec_from_file_location("catalogs", ROOT / "scripts" / "catalogs.py")
    catalogs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalogs)
    template = tmp_path_factory.mktemp("pot") / "messages.pot"
    catalogs.extract(template)
    with open(template, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_string_the_code_marks_is_translated(lang, extracted):
    catalog = {m.id for m, _, _ in _entries(lang)}
    missing = [m if isinstance(m, str) else m[0] for m in extracted - catalog]
    assert not missing, f"not in {lang}'s catalog (run scripts/catalogs.py update, then translate): {missing[:5]}"
    obsolete = [m if isinstance(m, str) else m[0] for m in catalog - extracted]
    assert not obsolete, f"{lang}'s catalog has entries the code no longer uses: {obsolete[:5]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_entry_has_a_translation_with_the_same_placeholders(lang):
    for message, ids, strings in _entries(lang):
        assert all(s.strip() for s in strings), f"{lang}: no translation for {ids[0]!r}"
        assert not message.fuzzy, f"{lang}: fuzzy entry {ids[0]!r}"
        for text in strings:
            assert _placeholders(text) in (_placeholders(ids[0]), _placeholders(ids[-1])), \
                f"{lang}: {ids[0]!r} has placeholders {_placeholders(ids[0])}, its translation {_placeholders(text)}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_compiled_catalog_is_the_translated_one(lang):
    """Someone who edits a .po file and forgets `scripts/catalogs.py compile` is told here."""
    compiled = io.BytesIO()
    write_mo(compiled, _po(lang))
    shipped = (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo").read_bytes()
    assert shipped == compiled.getvalue(), f"locales/{lang}/.../messages.mo is stale: run scripts/catalogs.py compile"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_id_reads_in_the_language(lang):
    translation = i18n.translation(lang)
    for msg_id, english in CATALOG.items():
        text = translation.ngettext(*english, 2) if isinstance(english, tuple) else translation.gettext(english)
        assert text != (english[1] if isinstance(english, tuple) else english), f"{lang}: {msg_id} is English"


def test_a_message_renders_in_the_readers_language_with_its_parameters():
    nested = msg("spec.at_least", layer=msg("spec.layer", i=2, label="conv 0 3x3"), what=msg("what.filters"),
                 low=1, value=0)
    english = nested.render("en")
    assert english == "Layer 2 (conv 0 3x3): the number of filters must be at least 1 (got 0)."
    for lang in TRANSLATED:
        text = nested.render(lang)
        assert text != english and "conv 0 3x3" in text and "2" in text
        # The nested message (the parameter's name) is in the same language, not English.
        assert "number of filters" not in text and i18n.translation(lang).gettext("number of filters") in text


def test_plural_messages_pick_the_languages_form():
    assert msg("units.epochs", n=1).render("en") == "1 epoch"
    assert msg("units.epochs", n=3).render("en") == "3 epochs"
    for lang in TRANSLATED:  # one form in Japanese and Korean; the number is still there
        assert "3" in msg("units.epochs", n=3).render(lang) and "epoch" not in msg("units.epochs", n=3).render(lang)


def test_the_language_of_a_browser_locale_or_a_link():
    assert i18n.supported("ko-KR") == "ko" and i18n.supported("ja") == "ja" and i18n.supported("en_GB") == "en"
    assert i18n.supported("fr-FR") is None and i18n.supported("") is None and i18n.supported(None) is None


def test_outside_a_session_cnn_core_reads_english():
    assert i18n.language() == "en" and str(msg("what.stride")) == "stride"


# Words the course's glossary (../shared/glossary.md) replaces: the lecture's machine translation
# and common variants a new translator might bring in.
NOT_THE_GLOSSARYS = {
    "ja": ["合成乗算", "チャンネル", "フィルター", "特徴量マップ", "コンボリューション", "畳込み", "パラメーター"],
    "ko": ["특징 맵", "컨볼루션", "콘볼루션", "레이어", "파라메터", "가중치 공유하기"],
}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_use_the_glossarys_terms(lang):
    bank = (ROOT / "cnn_core" / "assets" / f"quiz_bank.{lang}.yaml").read_text(encoding="utf-8")
    texts = [s for _, _, strings in _entries(lang) for s in strings] + [bank]
    for word in NOT_THE_GLOSSARYS[lang]:
        assert not [t for t in texts if word in t], f"{lang}: {word!r} is not the glossary's term"


# Markdown (CommonMark) does not close ** right after punctuation when a letter follows:
# "**(26,26,16)**입니다" shows its asterisks. English puts a space there; Japanese and Korean may not.
BOLD_THAT_DOES_NOT_CLOSE = re.compile(r"(?<=[)\].,:;!?'\"”’）」】〕])\*\*(?=\w)")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_bold_text_closes_in_every_translation(lang):
    for _message, _ids, strings in _entries(lang):
        for text in strings:
            assert not BOLD_THAT_DOES_NOT_CLOSE.search(text), f"{lang}: ** will show as asterisks in {text!r}"
