"""Indonesian news terms whose word-by-word translation misleads: "keamanan dunia maya" is
cybersecurity, not "security of the world" (the 1.5B's rendering, gold-002); "suku bunga" is
the interest rate. When the LLM renders an Indonesian passage in English it is told the terms
the passage uses, and a checked translation must say each in one of its English forms.

Checked against the human translations of mt_news_en2id_valid (`python -m evals.terms`): every
term found there, bar paraphrases, is rendered with one of its forms (README).
"""

from __future__ import annotations

import re

# term -> its English rendering (first) and the other forms a translation may use, lower case
TERMS: dict[str, tuple[str, ...]] = {
    "keamanan dunia maya": ("cybersecurity", "cyber security", "cyber-security"),
    "dunia maya": ("cyberspace", "cyber", "online", "internet", "virtual world"),
    "keamanan siber": ("cybersecurity", "cyber security", "cyber-security"),
    "kejahatan siber": ("cybercrime", "cyber crime", "cyber-crime", "cybercrimes"),
    "serangan siber": ("cyberattack", "cyber attack", "cyber-attack", "cyberattacks"),
    "kecerdasan buatan": ("artificial intelligence", "ai"),
    "teknologi informasi": ("information technology", "information technologies"),
    "kereta cepat": ("high-speed train", "high-speed rail", "high speed", "bullet train"),
    "mahkamah agung": ("supreme court",),
    "mahkamah konstitusi": ("constitutional court",),
    "dewan perwakilan rakyat": ("house of representatives", "parliament", "dpr", "legislature"),
    "suku bunga": ("interest rate", "interest rates", "rate", "rates"),
    "nilai tukar": ("exchange rate", "exchange rates"),
    "mata uang": ("currency", "currencies"),
    "gencatan senjata": ("ceasefire", "cease-fire", "truce"),
    "unjuk rasa": ("protest", "protests", "demonstration", "demonstrations", "rally", "rallies"),
    "rumah sakit": ("hospital", "hospitals"),
    "sumber daya manusia": ("human resources", "human capital", "workforce"),
    "sumber daya alam": ("natural resources",),
    "energi terbarukan": ("renewable energy", "renewables"),
    "kendaraan listrik": ("electric vehicle", "electric vehicles", "electric car", "electric cars"),
    "perang dagang": ("trade war",),
    "bursa efek": ("stock exchange", "stock market", "bourse"),
    "pasar modal": ("capital market", "capital markets"),
    "uang muka": ("down payment", "deposit"),
    "tenaga kerja": ("workers", "labor", "labour", "workforce", "manpower", "employment"),
    "lapangan kerja": ("jobs", "job", "employment"),
    "hak asasi manusia": ("human rights",),
    "kemitraan strategis": ("strategic partnership", "strategic partnerships"),
    "pernyataan bersama": ("joint statement", "joint declaration", "joint communique"),
    "perdana menteri": ("prime minister", "prime ministers", "premier"),
    "jaksa agung": ("attorney general",),
    "pengadilan negeri": ("district court",),
    "anak perusahaan": ("subsidiary", "subsidiaries"),
    "perusahaan rintisan": ("startup", "startups", "start-up", "start-ups"),
    "ponsel pintar": ("smartphone", "smartphones"),
    "telepon genggam": ("mobile phone", "mobile phones", "cellphone", "smartphone", "smartphones"),
    "peluru kendali": ("missile", "missiles"),
    "kapal selam": ("submarine", "submarines"),
    "pesawat tempur": ("fighter jet", "fighters", "fighter", "warplane", "combat aircraft"),
    "angkatan udara": ("air force",),
    "angkatan laut": ("navy", "naval"),
    "angkatan darat": ("army",),
    "gas rumah kaca": ("greenhouse gas", "greenhouse gases"),
    "perubahan iklim": ("climate change",),
    "kebakaran hutan": ("forest fire", "forest fires", "wildfire", "wildfires"),
    "tanah longsor": ("landslide", "landslides"),
    "gempa bumi": ("earthquake", "earthquakes", "quake", "quakes"),
    "piala dunia": ("world cup",),
}
# longest first, so "keamanan dunia maya" is one term, not "dunia maya" inside another
_TERM = re.compile(
    r"\b(?:" + "|".join(re.escape(t) for t in sorted(TERMS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def terms_in(text: str) -> list[str]:
    """The `TERMS` `text` uses, lower case, each once, in order."""
    return list(dict.fromkeys(m.group().lower() for m in _TERM.finditer(text)))


def says(translation: str, term: str) -> bool:
    """Whether `translation` renders `term` with one of its English forms."""
    low = translation.lower()
    return any(re.search(rf"\b{re.escape(form)}\b", low) for form in TERMS[term])


def lost_terms(translation: str, original: str) -> list[str]:
    """The terms of `original` that `translation` renders with none of their forms."""
    return [t for t in terms_in(original) if not says(translation, t)]


def hint(terms: list[str]) -> str:
    """ "'dunia maya' is 'cyberspace', ..." for `terms` (empty for none)."""
    return ", ".join(f"'{t}' is '{TERMS[t][0]}'" for t in terms)
