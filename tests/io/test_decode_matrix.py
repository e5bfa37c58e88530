"""Every language of news text in every encoding its files come in, at three lengths, decodes
to the text that was written, and the encoding recorded in ``source.encoding`` decodes it alike."""

from __future__ import annotations

import codecs
import doctest
from pathlib import Path

import pytest

import babelmill.io.charsets
import babelmill.io.read
from babelmill.document import OK
from babelmill.io.read import decode_bytes, new_input_document
from babelmill.stages.read import ReadConfig, ReadStage
from tests.io.encoding_samples import LENGTHS, SAMPLES, UNICODE, encode

CASES = [
    pytest.param(language, codec, length, id=f"{language}-{codec}-{length}")
    for language, sample in SAMPLES.items()
    for codec in (*sample.legacy, *UNICODE)
    for length in LENGTHS
]


def decode_as_recorded(data: bytes, encoding: str) -> str:
    """``data`` decoded with the codec named in ``source.encoding`` (a BOM dropped)."""
    return data.decode(codecs.lookup(encoding).name).lstrip("\ufeff")


@pytest.mark.parametrize("language, codec, length", CASES)
def test_decoded_text_is_the_text_written(language: str, codec: str, length: str) -> None:
    original = SAMPLES[language].text(length)
    data = encode(original, codec)
    text, encoding = decode_bytes(data)
    assert text == original, f"read as {encoding}: {text[:60]!r}"
    assert decode_as_recorded(data, encoding) == original


@pytest.mark.parametrize(
    "text, codec",
    [
        # Hangul outside EUC-KR's 2,350 syllables (똠), as Windows writes them (UHC)
        ("태국 음식 똠얌꿍이 유네스코 인류무형문화유산에 등재됐다.\n", "cp949"),
        # NEC's circled digits and ㈱ exist only in Windows' Shift_JIS
        ("山手線は①番線から発車します。㈱東日本旅客鉄道によると、運転再開は午後三時の見込みです。\n", "cp932"),
        # 碁 is one of the characters Microsoft added to Big5
        ("第四十屆名人戰今天開打，碁聖與挑戰者將展開七番勝負。\n", "cp950"),
        # 7-bit: announced by ESC $ ) C, its bytes are otherwise ASCII
        ("서울시는 다음 달부터 시내버스와 지하철 기본요금을 인상한다고 밝혔다.\n", "iso2022_kr"),
        # half-width katakana (ESC ( I) are beyond plain ISO-2022-JP
        ("ｶﾀｶﾅの見出しは、ＪＩＳ Ｘ ０２０１の半角カナで書かれています。\n", "iso2022_jp_ext"),
    ],
    ids=["cp949_uhc", "cp932_nec", "cp950_microsoft", "iso2022_kr", "iso2022_jp_halfwidth"],
)
def test_windows_extensions_and_iso2022_variants_decode(text: str, codec: str) -> None:
    data = text.encode(codec)
    decoded, encoding = decode_bytes(data)
    assert decoded == text, f"read as {encoding}: {decoded[:40]!r}"
    assert decode_as_recorded(data, encoding) == text


@pytest.mark.parametrize(
    "text, codec",
    [
        ("Météo\n", "cp1252"),  # é + t is a GBK ideograph, é + o a Big5 one
        ("It’s over\n", "cp1252"),
        ("きょうの天気\n", "euc_jp"),  # GB18030 reads the kana alike, the kanji as other hanzi
        ("Noël à Paris\n", "latin_1"),  # à and ë are Cyrillic а and л in Windows-1251
    ],
)
def test_a_few_words_decode_in_their_own_script(text: str, codec: str) -> None:
    """Lines too short for charset-normalizer's measures (every reading scores a clean 0)."""
    assert decode_bytes(text.encode(codec))[0] == text


def test_one_ambiguous_character_is_read_as_chinese() -> None:
    """B0 A1 is 啊 in GB2312 and 가 in EUC-KR; nothing in two bytes says which: GB18030 comes
    first (README, *Encodings*)."""
    assert decode_bytes(b"\xb0\xa1") == ("啊", "gb18030")


def test_utf8_file_with_one_euc_jp_line_keeps_both() -> None:
    utf8 = SAMPLES["de"].text("page")
    japanese = SAMPLES["ja"].paragraphs[1] + "\n"
    data = utf8.encode() + japanese.encode("euc_jp")
    assert decode_bytes(data) == (utf8 + japanese, "utf-8+euc_jp")


@pytest.mark.parametrize("codec", ["iso2022_jp", "euc_jp", "koi8_r", "cp1255"])
def test_read_stage_records_the_encoding_of_a_page(tmp_path: Path, codec: str) -> None:
    language = {"iso2022_jp": "ja", "euc_jp": "ja", "koi8_r": "ru", "cp1255": "he"}[codec]
    text = SAMPLES[language].text("page")
    path = tmp_path / "page.txt"
    path.write_bytes(text.encode(codec))
    (doc,) = ReadStage(ReadConfig()).run([new_input_document(str(path))])
    assert doc.status == OK
    assert doc.text == text
    assert doc.source["encoding"] == codecs.lookup(codec).name
    assert not [c for c in doc.history if c.reason == "terminal_escapes"]  # ISO-2022's ESC $ B is text


@pytest.mark.parametrize("module", [babelmill.io.read, babelmill.io.charsets])
def test_doctests(module) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
