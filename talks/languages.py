"""Language codes as BCP 47 wants them: the shortest ISO 639 code, e.g. "eng" -> "en"."""

# ISO 639-2/3 codes (bibliographic and terminological) of languages that have a
# two-letter ISO 639-1 code, for the languages talks are commonly given in.
ISO_639_1 = {
    "ara": "ar",
    "bul": "bg",
    "cat": "ca",
    "ces": "cs",
    "cze": "cs",
    "chi": "zh",
    "zho": "zh",
    "dan": "da",
    "deu": "de",
    "ger": "de",
    "ell": "el",
    "gre": "el",
    "eng": "en",
    "spa": "es",
    "est": "et",
    "eus": "eu",
    "baq": "eu",
    "fas": "fa",
    "per": "fa",
    "fin": "fi",
    "fra": "fr",
    "fre": "fr",
    "gle": "ga",
    "glg": "gl",
    "heb": "he",
    "hin": "hi",
    "hrv": "hr",
    "hun": "hu",
    "hye": "hy",
    "arm": "hy",
    "ind": "id",
    "isl": "is",
    "ice": "is",
    "ita": "it",
    "jpn": "ja",
    "kat": "ka",
    "geo": "ka",
    "kor": "ko",
    "lit": "lt",
    "lav": "lv",
    "mkd": "mk",
    "mac": "mk",
    "msa": "ms",
    "may": "ms",
    "nld": "nl",
    "dut": "nl",
    "nor": "no",
    "nob": "nb",
    "nno": "nn",
    "pol": "pl",
    "por": "pt",
    "ron": "ro",
    "rum": "ro",
    "rus": "ru",
    "slk": "sk",
    "slo": "sk",
    "slv": "sl",
    "sqi": "sq",
    "alb": "sq",
    "srp": "sr",
    "swe": "sv",
    "tha": "th",
    "tur": "tr",
    "ukr": "uk",
    "urd": "ur",
    "vie": "vi",
    "cym": "cy",
    "wel": "cy",
    "afr": "af",
    "ben": "bn",
    "tam": "ta",
    "tel": "te",
    "mar": "mr",
    "swa": "sw",
    "fil": "fil",
    "tgl": "tl",
}
DEFAULT = "en"


def bcp47(code: str | None) -> str:
    """A tidy BCP 47 tag: "eng" -> "en", "pt_br" -> "pt-BR", unknown or empty -> "en"."""
    if not isinstance(code, str) or not code.strip():
        return DEFAULT
    language, *rest = code.strip().replace("_", "-").split("-")
    language = language.lower()
    language = ISO_639_1.get(language, language)
    subtags = [part.upper() if len(part) == 2 else part.lower() for part in rest if part]
    return "-".join([language, *subtags])
