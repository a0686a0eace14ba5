"""Which legacy encoding a text file is in, with the evidence, or the honest answer that it is unclear.

`charset-normalizer` proposes every encoding it knows that decodes the sample, each with its measure of
chaos and the language it sees. A file from a Russian, Chinese, Polish or Greek desk decodes without an
error in a dozen encodings, so each proposal is also read as a clerk would: *mojibake signs* are symbols
or controls inside words (`£ukasz`, `Ã¼`), letters of two scripts in one word, and Latin words whose
accented letters belong to no single language's alphabet (`Dvoøák`: ø is Danish, á is not). The
proposal with the fewest signs wins; equal signs and nearly equal chaos between two proposals that
give *different* text is ambiguous, and the import refuses, naming both, rather than guess. Between two
equally clean proposals the more common encoding for spreadsheets wins when it is of a more common
tier (Windows-1252 before Baltic Windows-1257 for a German file whose only difference is `ë`).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

# Tiers of how often a spreadsheet export is in the encoding: a tie between tiers goes to the lower.
_TIER_1 = {"cp1252"}
_TIER_2 = {"cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp874", "gb18030", "gbk", "gb2312",
           "big5", "big5hkscs", "cp950", "cp932", "shift_jis", "euc_jp", "euc_jis_2004", "cp949", "euc_kr",
           "koi8_r", "koi8_u", "iso8859_7", "iso8859_8", "tis_620", "cp1258"}
# Heard besides what charset-normalizer proposes (it samples a few chunks and may miss the right one).
ALWAYS_HEARD = ("cp1252", "cp1250", "iso8859-2", "cp1251", "koi8-r", "cp1253", "iso8859-7", "cp1254", "cp1257",
                "iso8859-15")
QUALITY_TIE = 0.03  # chaos measures closer than this are the same evidence

# The accented letters each Latin-script language writes (lower case). A word whose letters outside ASCII
# no single alphabet holds is a sign that its bytes were read in the wrong encoding.
_ALPHABETS = [set(letters) for letters in (
    "äöüß", "àâæçéèêëîïôœùûüÿ", "áéíñóúü", "áâãàçéêíóôõú", "àèéìíîòóùú", "áéëïóöüè", "æøåé", "åäöé",
    "åäöšž", "áðéíóúýþæö", "ąćęłńóśźż", "áčďéěíňóřšťúůýž", "áäčďéíĺľňóôŕšťúýž", "áéíóöőúüű", "ăâîșşțţ",
    "çğıöşüâîû", "čćđšž", "ąčęėįšųūž", "āčēģīķļņšūž", "äöõüšž", "àçèéíïòóúü·", "âêîôûŵŷáéíóúàèìòùäëïöüÿ",
    "çë", "ċġħż", "áéíóú", "ãõáéíóúâêôàç", "ëïéèêç",
)]
_WORD = re.compile(r"[^\s,;|\t\"'()\[\]{}<>./\\@0-9_:=+*#&%!?-]+")
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "HANGUL", "HIRAGANA", "KATAKANA", "ARABIC", "HEBREW", "THAI",
            "ARMENIAN", "GEORGIAN", "DEVANAGARI")
_JAPANESE = {"HAN", "HIRAGANA", "KATAKANA"}
_C1 = re.compile("[\x80-\x9f]")
MAX_JUDGED_LINES = 200  # of the lines with bytes outside ASCII: enough evidence, bounded cost


@dataclass(frozen=True)
class Candidate:
    """One reading of the sample: the codec, what it looks like, and the evidence."""

    codec: str  # Python's codec name
    language: str
    quality: float  # 1 - charset-normalizer's chaos
    signs: int  # mojibake signs in the decoded sample
    text: str

    @property
    def label(self) -> str:
        name = common_name(self.codec)
        if not self.language or self.language == "Unknown" or self.language in name:
            return name
        return f"{name}, looks {self.language}"


class Unclear(Exception):
    """The sample reads cleanly in two encodings that give different text."""

    def __init__(self, first: Candidate, second: Candidate):
        super().__init__(f"{first.codec} or {second.codec}")
        self.first, self.second = first, second


def tier(codec: str) -> int:
    return 1 if codec in _TIER_1 else 2 if codec in _TIER_2 else 3


@lru_cache(maxsize=4096)
def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if "IDEOGRAPH" in name:
        return "HAN"
    for script in _SCRIPTS:
        if name.startswith(script):
            return script
    return "OTHER"


@lru_cache(maxsize=4096)
def _odd(ch: str) -> bool:
    """A character that does not belong inside a word: symbols, digits of other kinds, punctuation such
    as ¶ or ¿, controls, private or unassigned code points."""
    if ch.isascii() or ch in "·'’ʼ":
        return not ch.isalnum() and ch not in "'"
    category = unicodedata.category(ch)
    return category[0] in "SN" or category in ("Po", "Ps", "Pe", "Pi", "Pf", "Co", "Cn", "Cf", "Cc")


def mojibake_signs(text: str) -> int:
    """How much of `text` looks like bytes read in the wrong encoding (0 for clean text)."""
    signs = text.count("\ufffd") * 3 + len(_C1.findall(text)) * 3
    judged = 0
    for line in text.splitlines():
        if line.isascii():
            continue
        judged += 1
        if judged > MAX_JUDGED_LINES:
            break
        for word in _WORD.findall(line):
            if word.isascii():
                continue
            letters = [c for c in word if c.isalpha()]
            if not letters:
                continue
            signs += sum(1 for c in word if _odd(c))
            # A capital outside ASCII between small letters ("MŸller"): bytes of another code page.
            signs += sum(1 for a, b, c in zip(word, word[1:], word[2:])
                         if a.islower() and b.isupper() and not b.isascii() and c.islower())
            scripts = {_script(c) for c in letters} - {None}
            if len(scripts) > 1 and not scripts <= _JAPANESE:
                signs += 1
            elif scripts == {"LATIN"}:
                extra = {c for c in word.lower() if not c.isascii() and c.isalpha()}
                if extra and not any(extra <= alphabet for alphabet in _ALPHABETS):
                    signs += 1
    return signs


def _telling_lines(sample: bytes) -> bytes:
    """The sample's lines that hold bytes outside ASCII, at most MAX_JUDGED_LINES of them."""
    lines = [line for line in sample.split(b"\n") if not line.isascii()]
    return b"\n".join(lines[:MAX_JUDGED_LINES])


def candidates(sample: bytes) -> list[Candidate]:
    """Every reading charset-normalizer proposes, best first (fewest signs, then quality, then tier)."""
    from charset_normalizer import from_bytes

    found: dict[str, Candidate] = {}
    # Only the lines with bytes outside ASCII tell encodings apart: each reading decodes those (a few
    # hundred of them), so judging a dozen readings costs milliseconds, not a decode of the file each.
    judged = _telling_lines(sample)

    def reading(codec: str, language: str, quality: float) -> None:
        if codec in found:
            return
        try:
            text = judged.decode(codec)
        except (UnicodeDecodeError, LookupError):
            return
        found[codec] = Candidate(codec, language, quality, mojibake_signs(text), text)

    for match in from_bytes(sample):
        try:
            codec = codecs.lookup(match.encoding).name
        except LookupError:
            continue
        reading(codec, match.language or "", round(1.0 - match.chaos, 3))
    for codec in ALWAYS_HEARD:  # the usual single-byte encodings are always heard, when they decode
        reading(codec, "", 0.9)
    ranked = sorted(found.values(), key=lambda c: (c.signs, -round(c.quality / QUALITY_TIE), tier(c.codec)))
    return ranked


def choose(sample: bytes) -> tuple[Candidate, Candidate | None]:
    """The reading to use and the runner-up (its evidence), or Unclear when the two best are equally
    clean, equally likely and different."""
    ranked = candidates(sample)
    if not ranked:
        raise LookupError("no encoding decodes the sample")
    best = ranked[0]
    same = [c for c in ranked if c.text == best.text]
    usual = min(same, key=lambda c: (tier(c.codec), ranked.index(c)))  # the same text: the usual encoding
    best = replace(usual, quality=max(usual.quality, best.quality), language=usual.language or best.language)
    for other in ranked:
        if other.text == best.text:
            continue  # the same text: no matter which (the usual one was taken)
        if (other.signs == best.signs and abs(other.quality - best.quality) <= QUALITY_TIE
                and tier(other.codec) == tier(best.codec)):
            raise Unclear(best, other)
        return best, other
    return best, None


# --- names for the clerk -----------------------------------------------------------------------------

_NAMES = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16", "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE", "cp1252": "Windows-1252 (Western European)", "latin-1": "ISO-8859-1 (Latin-1)",
    "iso8859-15": "ISO-8859-15 (Latin-9)", "mac-roman": "Mac Roman", "cp850": "DOS 850 (Western European)",
    "cp437": "DOS 437 (US)", "cp1250": "Windows-1250 (Central European)", "iso8859-2": "ISO-8859-2 (Central European)",
    "cp852": "DOS 852 (Central European)", "mac-latin2": "Mac Central European",
    "cp1251": "Windows-1251 (Cyrillic)", "koi8-r": "KOI8-R (Russian)", "koi8-u": "KOI8-U (Ukrainian)",
    "iso8859-5": "ISO-8859-5 (Cyrillic)", "cp866": "DOS 866 (Cyrillic)", "mac-cyrillic": "Mac Cyrillic",
    "cp1253": "Windows-1253 (Greek)", "iso8859-7": "ISO-8859-7 (Greek)", "mac-greek": "Mac Greek",
    "cp1254": "Windows-1254 (Turkish)", "iso8859-9": "ISO-8859-9 (Turkish)", "cp1257": "Windows-1257 (Baltic)",
    "iso8859-4": "ISO-8859-4 (Baltic)", "iso8859-13": "ISO-8859-13 (Baltic)", "cp1255": "Windows-1255 (Hebrew)",
    "iso8859-8": "ISO-8859-8 (Hebrew)", "cp1256": "Windows-1256 (Arabic)", "iso8859-6": "ISO-8859-6 (Arabic)",
    "cp874": "Windows-874 (Thai)", "tis-620": "TIS-620 (Thai)", "cp1258": "Windows-1258 (Vietnamese)",
    "gb18030": "GB18030 (Simplified Chinese)", "gbk": "GBK (Simplified Chinese)", "gb2312": "GB2312 (Simplified Chinese)",
    "big5": "Big5 (Traditional Chinese)", "big5hkscs": "Big5-HKSCS (Traditional Chinese)",
    "cp950": "Windows-950 (Traditional Chinese)", "cp932": "Windows-932 / Shift-JIS (Japanese)",
    "shift_jis": "Shift-JIS (Japanese)", "euc_jp": "EUC-JP (Japanese)", "euc_jis_2004": "EUC-JIS-2004 (Japanese)",
    "iso2022_jp": "ISO-2022-JP (Japanese)", "cp949": "Windows-949 / UHC (Korean)", "euc_kr": "EUC-KR (Korean)",
}
# Groups for the dialog's encoding list, in the order a clerk looks for them.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Unicode", ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be")),
    ("Western European", ("cp1252", "latin-1", "iso8859-15", "mac-roman", "cp850", "cp437")),
    ("Central European", ("cp1250", "iso8859-2", "cp852", "mac-latin2")),
    ("Cyrillic", ("cp1251", "koi8-r", "koi8-u", "iso8859-5", "cp866", "mac-cyrillic")),
    ("Greek", ("cp1253", "iso8859-7", "mac-greek")),
    ("Turkish", ("cp1254", "iso8859-9")),
    ("Baltic", ("cp1257", "iso8859-4", "iso8859-13")),
    ("Hebrew and Arabic", ("cp1255", "iso8859-8", "cp1256", "iso8859-6")),
    ("Thai and Vietnamese", ("cp874", "tis-620", "cp1258")),
    ("Chinese", ("gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950")),
    ("Japanese", ("cp932", "shift_jis", "euc_jp", "euc_jis_2004", "iso2022_jp")),
    ("Korean", ("cp949", "euc_kr")),
)


def _other_text_codecs(listed: set[str]) -> tuple[str, ...]:
    """Every other text encoding Python knows (EBCDIC, Mac, DOS, ISO and national code pages …)."""
    import encodings.aliases

    names = set(encodings.aliases.aliases.values())
    found: set[str] = set()
    for name in names:
        try:
            info = codecs.lookup(name)
        except LookupError:
            continue
        if getattr(info, "_is_text_encoding", True) and info.name not in listed and name not in (
                "mbcs", "oem", "undefined", "idna", "punycode", "unicode_escape", "raw_unicode_escape"):
            found.add(info.name)
    return tuple(sorted(found - {"mbcs", "oem"}))


_LISTED = {codecs.lookup(c).name for _group, members in GROUPS for c in members}
GROUPS = (*GROUPS, ("Other", _other_text_codecs(_LISTED)))
ALL_ENCODINGS: tuple[str, ...] = tuple(codec for _group, codecs_ in GROUPS for codec in codecs_)


def differing_lines(first: Candidate, second: Candidate, limit: int = 8) -> list[tuple[str, str]]:
    """The sample's lines that read differently in the two candidates (as each reads them), for the clerk
    to see which one is right; the first `limit` of them."""
    out: list[tuple[str, str]] = []
    for a, b in zip(first.text.splitlines(), second.text.splitlines()):
        if a != b:
            out.append((a, b))
            if len(out) >= limit:
                break
    return out


_DIGITS = re.compile(r"\d+")


def file_pattern(name: str) -> str:
    """A file name with its numbers as '#' (dates, counters): the files one desk sends every week share it.
    'Kunden 2026-12-01 (3).CSV' -> 'kunden #-#-# (#).csv'."""
    return _DIGITS.sub("#", name.strip().casefold())


def common_name(codec: str) -> str:
    """'cp1251' -> 'Windows-1251 (Cyrillic)'; unknown codecs as Python names them."""
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return codec
    return _NAMES.get(name) or _NAMES.get(codec) or name
