"""Offline duplicate detection and themes for feedback: TF-IDF on words and character n-grams.

Pure functions, no I/O, nothing downloaded: scikit-learn is imported lazily inside the
functions, so importing this module stays cheap for the parts of the bot that never score.

Text goes through three steps before any vector is built:

1. `normalize`: lower-case, Slack markup, URLs, emoji codes and numbers removed;
2. a small built-in synonym and phrase map for common product words ("times out" ->
   timeout, "sign in" -> login, mode -> theme, big -> large, iPhone -> ios + mobile, ...)
   and a light suffix stemmer (exports/exporting -> export), so paraphrases meet;
3. stop words: scikit-learn's English list (minus a few product words such as "bill" or
   "top") plus product filler ("please", "add", "feature", "users", ...).

`find_duplicates` blends two signals, both fitted on the new text, the candidates and a
background sample of the team's texts (so words the team uses all the time, such as
"dashboard" or "export", weigh little):

* the cosine of character n-gram TF-IDF vectors (`char_wb`, 3-5), which catches spelling
  variants and word forms the stemmer misses (collapsible ~ collapse);
* IDF-weighted word coverage: how much of each text's word weight the other one has, as
  an F-score that favours the shorter text ("csv exports time out" is fully inside "CSV
  export times out on large accounts"). On the labelled corpus this beat the plain cosine
  of word unigram+bigram vectors, which added nothing on top of it.

Two texts that name different things of one kind (Slack vs email, PDF vs Excel, iOS vs web,
export vs import) are scored down: they share most words but are different requests.

`group_themes` clusters word unigram+bigram TF-IDF vectors by average-linkage agglomerative
clustering with a cosine distance threshold (no number of clusters to guess; deterministic)
and names each theme from its most characteristic bigram or words.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DUPLICATE_THRESHOLD",
    "Candidate",
    "Match",
    "Theme",
    "find_duplicates",
    "group_themes",
    "normalize",
]


@dataclass(frozen=True)
class Candidate:
    """Open feedback of the same team that new feedback may duplicate."""

    id: int
    number: int
    text: str
    votes: int = 0


@dataclass(frozen=True)
class Match:
    """A candidate and how much it looks like the new text (0..1)."""

    candidate: Candidate
    score: float


@dataclass(frozen=True)
class Theme:
    """A named group of feedback items, members most central first."""

    name: str
    terms: tuple[str, ...]
    item_ids: tuple[int, ...]


# Tuned on the labelled corpus in tests/unit/test_similarity.py: every labelled
# related-but-different pair scores below it, and 27 of 30 paraphrases above it.
DUPLICATE_THRESHOLD = 0.70

# The blend: character n-gram cosine and word coverage (weights sum to 1).
_CHAR_WEIGHT = 0.4
_COVERAGE_WEIGHT = 0.6
# F-beta of the two coverages; beta > 1 lets the shorter text's coverage count most.
_COVERAGE_BETA = 3.0
# Score factor for two texts naming different things of one facet (Slack vs email).
_CONFLICT_FACTOR = 0.6
# Longer input adds nothing for matching but costs time; Slack allows 40,000 characters.
_MAX_CHARS = 5000
# group_themes clusters at most this many items (the first ones passed in; callers pass
# the most recent or most voted first); the rest join the nearest theme afterwards.
_MAX_CLUSTERED = 2000
# Average-linkage cosine distance under which two groups of items merge into one theme.
_THEME_DISTANCE = 0.86
# An item outside the clustered sample joins a theme when this similar to its centroid.
_THEME_JOIN_SIMILARITY = 0.25
_THEME_TERMS = 5
# Per-text caches (analysis, character n-grams): entries, and the longest text cached.
_CACHE_SIZE = 4096
_CACHED_CHARS = 300

# --- normalize --------------------------------------------------------------------------

_SLACK_LINK = re.compile(r"<(?:https?://|mailto:|tel:)[^<>|]*(?:\|([^<>]*))?>", re.IGNORECASE)
_SLACK_CONTROL = re.compile(r"<[@#!][^<>]*>")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# An emoji code has a letter or "+" in it (":+1:"); a time such as 10:30:00 has none.
_EMOJI = re.compile(r":(?=[a-z0-9_'-]*[a-z+])[a-z0-9_+'-]+:")
# Whole numbers, dates and times only (atomic group: "1.5x" and "v2" stay as they are).
_NUMBER = re.compile(r"(?<!\w)(?>\d+(?:[-.,:/]\d+)*)(?!\w)")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_SPACES = re.compile(r"\s+")


def _link_label(match: re.Match[str]) -> str:
    label = match.group(1) or ""
    # Slack labels bare links with the address itself ("example.com/x"): noise as well.
    return " " if not label.strip() or ("." in label and " " not in label.strip()) else f" {label} "


def normalize(text: str) -> str:
    """Lower-case text without Slack markup, URLs, emoji codes, numbers or extra spaces."""
    text = unicodedata.normalize("NFKC", text)
    # A link's label is what the person wrote; the URL itself is noise.
    text = _SLACK_LINK.sub(_link_label, text)
    text = _SLACK_CONTROL.sub(" ", text)
    text = _URL.sub(" ", text.lower())
    text = _EMOJI.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return _SPACES.sub(" ", text.translate(_QUOTES)).strip()


# --- terms: synonyms, stop words, stems ---------------------------------------------------

# Multi-word phrases first (they span stop words such as "in", "out", "on").
_LOG_CONTEXT = r"(?<!audit )(?<!error )(?<!activity )(?<!change )(?<!event )(?<!access )"
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bsingle[ -]?sign[ -]?on\b", " sso "),
        (r"\b(?:two|2)[ -]?(?:factor|step)\b|\bmulti[ -]?factor\b|\bmfa\b|\btotp\b", " 2fa "),
        (r"\b(?:time|times|timed|timing)[ -]out\b|\btime-?outs?\b", " timeout "),
        (_LOG_CONTEXT + r"\b(?:log|logs|logged|logging)[ -]?(?:in|on)\b", " login "),
        (r"\b(?:sign|signs|signed|signing)[ -]?in\b|\blog-?ins?\b|\blogons?\b", " login "),
        (r"\b(?:log|logs|logged|logging|sign|signs|signed|signing)[ -]?(?:out|off)\b", " logout "),
        (r"\b(?:sign|signs|signed|signing)[ -]?ups?\b", " signup "),
        (r"\bspelling (?:mistake|error)s?\b|\bmisspel\w*", " typo "),
        (
            r"\b(?:doesnt|dont|isnt|arent|not|never|stopped|stops) (?:work|working|works)\b",
            " fail ",
        ),
        (r"\bstart[ -]?up\b", " launch "),
        (r"\be-mail", " email"),
        (r"\bdrop[ -]down", " dropdown"),
        (r"\bto[ -]?dos?\b", " todo "),
        (r"\bweb[ -]?hooks?\b", " webhook "),
        (r"\b(?:microsoft|ms) teams\b", " msteams "),
    )
)

# One word -> canonical words (stemmed like any other word afterwards); a second canonical
# word is added to the text ("iphone" -> ios + mobile). Kept small on purpose, common
# product vocabulary only: every entry also pulls unrelated items closer together.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("mode", "modes", "themes", "themed", "theming"), ("theme",)),
    "night": ("dark",),
    **dict.fromkeys(("big", "bigger", "biggest", "huge", "larger", "largest"), ("large",)),
    **dict.fromkeys(("slowly", "slower", "slowness", "sluggish", "laggy", "lag"), ("slow",)),
    **dict.fromkeys(("lags", "lagging", "sluggishly"), ("slow",)),
    **dict.fromkeys(("crashes", "crashing", "crashed", "crashy"), ("crash",)),
    **dict.fromkeys(
        ("freezes", "freezing", "froze", "frozen", "hangs", "unresponsive"), ("freeze",)
    ),
    **dict.fromkeys(("fails", "failed", "failing", "failure", "failures"), ("fail",)),
    **dict.fromkeys(("broken", "broke", "breaks", "breaking"), ("fail",)),
    **dict.fromkeys(("incorrect", "inaccurate", "wrongly"), ("wrong",)),
    **dict.fromkeys(
        ("notify", "notified", "notifies", "notifying", "notif", "notifs"), ("notification",)
    ),
    **dict.fromkeys(("notifications",), ("notification",)),
    **dict.fromkeys(("authentication", "authenticate", "authenticating", "authn"), ("auth",)),
    **dict.fromkeys(("iphone", "ipad", "ios"), ("ios", "mobile")),
    "android": ("android", "mobile"),
    **dict.fromkeys(("phone", "phones", "smartphone", "smartphones"), ("mobile",)),
    **dict.fromkeys(
        ("photo", "photos", "picture", "pictures", "pic", "pics", "images"), ("image",)
    ),
    **dict.fromkeys(("twice", "double", "doubled", "duplicated", "duplicates"), ("duplicate",)),
    **dict.fromkeys(("colour", "colours", "colors", "colored", "coloured"), ("color",)),
    **dict.fromkeys(("launching", "launches", "launched"), ("launch",)),
    **dict.fromkeys(("synced", "syncing", "syncs", "synchronize", "synchronise"), ("sync",)),
    **dict.fromkeys(("synchronization", "synchronisation", "synchronizing"), ("sync",)),
    **dict.fromkeys(("organisation", "organisations", "organizations", "orgs"), ("org",)),
    "organization": ("org",),
    **dict.fromkeys(("preferences", "preference", "config", "configuration"), ("settings",)),
    "setting": ("settings",),
    **dict.fromkeys(("xlsx", "xls"), ("excel",)),
    **dict.fromkeys(("emails", "mails", "mail", "emailed"), ("email",)),
    **dict.fromkeys(("receive", "receives", "received", "receiving"), ("arrive",)),
    **dict.fromkeys(("repeat", "repeating", "recurring", "recurrence", "recurrent"), ("recur",)),
}

# Words that scikit-learn's list drops but that mean something in product feedback.
_KEEP = frozenset(
    {"bill", "call", "empty", "name", "top", "bottom", "side", "front", "full", "detail", "system"}
)
_FILLER_WORDS = (
    "please pls plz would like add added adding feature features request requests requested",
    "issue issues problem problems user users customer customers client clients people person",
    "folks need needs needed want wants wanted able ability option options allow allows",
    "allowing let lets make makes making way ways thing things hi hey hello thanks thank",
    "just really currently sometimes basically actually maybe probably seems using use used",
    "uses work works working worked dont doesnt didnt isnt arent wasnt werent wont cant im ive",
    "youre theyre thats theres lot lots bit also get gets getting got go goes going good great",
    "nice better best new possible support supports supported supporting help love know think",
    "time day days week weeks yes ok okay etc via hope wish happen happens happening happened",
    "try tried trying everytime always anymore still keep keeps kept does did doing",
)
_FILLER = frozenset(word for line in _FILLER_WORDS for word in line.split())


@functools.cache
def _stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, minus product words, plus product filler."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return (frozenset(ENGLISH_STOP_WORDS) - _KEEP) | _FILLER


# Kana, CJK ideographs and Hangul: scripts without spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_VOWELS = frozenset("aeiouy")


@functools.lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """A deliberately light suffix stripper: plurals, -ing, -ed, -ly (no data files)."""
    if len(word) <= 3 or not word.isascii():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zzes")):
        stem = word[:-2]
    elif word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
    elif word.endswith("ed") and len(word) > 5:
        stem = word[:-2]
    elif word.endswith("ation") and len(word) > 7:
        stem = word[:-3]  # navigation -> navigat, like navigate
    elif word.endswith(("able", "ible")) and len(word) > 7:
        stem = word[:-4]
    elif word.endswith("ly") and len(word) > 5:
        stem = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        stem = word[:-1]
    else:
        stem = word
    if not any(c in _VOWELS for c in stem):
        return word
    # running -> run, logged -> log; but not filled, passed, buzzed.
    if stem != word and len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        stem = stem[:-1]
    # One form for update/updates/updating/updated -> "updat".
    if len(stem) > 4 and stem.endswith("e"):
        stem = stem[:-1]
    return stem


# Mutually exclusive names within one facet: "Slack notifications" and "email notifications"
# share most words but are different requests. Two texts that each name something of a
# facet, and nothing in common there, are scored down (see _CONFLICT_FACTOR).
_FACETS: tuple[frozenset[str], ...] = tuple(
    frozenset(_stem(word) for word in facet.split())
    for facet in (
        "slack email sms msteams push webhook whatsapp discord",
        "csv pdf excel json xml markdown html png",
        "mobile ios android web desktop mac linux",
        "chrome firefox safari edge",
        "google outlook microsoft okta azure github gitlab jira zapier salesforce hubspot",
        "export import filter sort search print share archive delete merge",
    )
)


def _analyze(text: str) -> tuple[tuple[str, str], ...]:
    """Content terms of a text as (stem, surface word) pairs, in reading order."""
    # The same background texts come with every new feedback of a team: analyze them once.
    # Long texts are rare and would crowd the cache out.
    return _analyze_cached(text) if len(text) <= _CACHED_CHARS else _analyze_text(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _analyze_cached(text: str) -> tuple[tuple[str, str], ...]:
    return _analyze_text(text)


def _analyze_text(text: str) -> tuple[tuple[str, str], ...]:
    stop = _stop_words()
    text = normalize(text[:_MAX_CHARS]).replace("'", "")
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    terms: list[tuple[str, str]] = []
    for token in _TOKEN.findall(text):
        if _CJK_RUN.fullmatch(token):
            # No spaces between words: overlapping character bigrams stand in for words.
            grams = (
                [token] if len(token) == 1 else [token[i : i + 2] for i in range(len(token) - 1)]
            )
            terms.extend((gram, gram) for gram in grams)
            continue
        if len(token) < 2 or token in stop:
            continue
        mapped = _SYNONYMS.get(token)
        if mapped is not None:
            # The first canonical word stands for the token itself; others are added.
            terms.append((_stem(mapped[0]), token))
            terms.extend((_stem(word), word) for word in mapped[1:])
        else:
            terms.append((_stem(token), token))
    return tuple(terms)


def _features(terms: Sequence[tuple[str, str]]) -> list[str]:
    """Unigrams plus adjacent bigrams; a bigram's words are sorted, so word order is free."""
    stems = [stem for stem, _ in terms]
    grams = list(stems)
    for a, b in itertools.pairwise(stems):
        if a != b:
            grams.append(f"{a} {b}" if a < b else f"{b} {a}")
    return grams


def _identity(doc: Sequence[str]) -> Sequence[str]:
    return doc


@functools.cache
def _char_wb() -> Callable[[str], list[str]]:
    """scikit-learn's word-bounded character 3-5-gram analyzer."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer: Callable[[str], list[str]] = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5)
    ).build_analyzer()
    return analyzer


def _char_grams(text: str) -> tuple[str, ...]:
    """Character n-grams of a text; cached, as they are the costliest step of scoring."""
    return _char_grams_cached(text) if len(text) <= _CACHED_CHARS else tuple(_char_wb()(text))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _char_grams_cached(text: str) -> tuple[str, ...]:
    # Interned: the same n-grams recur in every text, so a cached entry is mostly pointers.
    return tuple(sys.intern(gram) for gram in _char_wb()(text))


def _clear_caches() -> None:
    """Forget every text seen (for benchmarks)."""
    _analyze_cached.cache_clear()
    _char_grams_cached.cache_clear()


# --- find_duplicates ---------------------------------------------------------------------

_Terms = Sequence[tuple[str, str]]


def _scores(query: _Terms, others: Sequence[_Terms], scored: int) -> Any:
    """Blended similarity (0..1) of `query` to each of the first `scored` of `others`."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    stems = [[stem for stem, _ in doc] for doc in (query, *others)]
    # binary + no norm: each row holds the IDF of each word the text has.
    words = TfidfVectorizer(analyzer=_identity, binary=True, norm=None, dtype=np.float64)
    weighted = words.fit_transform(stems)[: scored + 1].tocsr()
    present = weighted.copy()
    present.data[:] = 1.0
    own = np.asarray(weighted.sum(axis=1)).ravel()
    shared = np.asarray((present[1:] @ weighted[0].T).todense()).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        cover_query = np.nan_to_num(shared / own[0])
        cover_other = np.nan_to_num(shared / own[1:])
        short, long = np.maximum(cover_query, cover_other), np.minimum(cover_query, cover_other)
        beta2 = _COVERAGE_BETA**2
        coverage = np.nan_to_num((1 + beta2) * short * long / (beta2 * long + short))

    chars = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float64)
    char_matrix = chars.fit_transform([_char_grams(" ".join(doc)) for doc in stems]).tocsr()
    char_sim = np.asarray((char_matrix[1 : scored + 1] @ char_matrix[0].T).todense()).ravel()

    score = _CHAR_WEIGHT * char_sim + _COVERAGE_WEIGHT * coverage
    query_facets = [facet & set(stems[0]) for facet in _FACETS]
    for i, doc in enumerate(stems[1 : scored + 1]):
        distinct = set(doc)
        # One word ("Webhooks") is too vague to be what the new text duplicates.
        if len(distinct) < 2:
            score[i] = 0.0
        elif any(
            mine and (facet & distinct) and not (mine & distinct)
            for facet, mine in zip(_FACETS, query_facets, strict=True)
        ):
            score[i] *= _CONFLICT_FACTOR
    return np.clip(score, 0.0, 1.0)


def find_duplicates(
    text: str,
    candidates: Sequence[Candidate],
    *,
    background: Sequence[str] = (),
    limit: int = 3,
    threshold: float = DUPLICATE_THRESHOLD,
) -> list[Match]:
    """Candidates that `text` likely duplicates, best first, each scoring >= `threshold`."""
    if limit <= 0 or not candidates:
        return []
    query = _analyze(text)
    # A single word ("export", "crash") is too vague to claim it duplicates anything.
    if len({stem for stem, _ in query}) < 2:
        return []
    others = [_analyze(c.text) for c in candidates] + [_analyze(b) for b in background]
    scores = _scores(query, others, len(candidates))
    matches = [
        Match(candidate, round(float(score), 4))
        for candidate, score in zip(candidates, scores, strict=True)
        if score >= threshold
    ]
    # Ties: the same text first, then more votes, then the older feedback (lower number).
    same = normalize(text)
    matches.sort(
        key=lambda m: (
            -m.score,
            normalize(m.candidate.text) != same,
            -m.candidate.votes,
            m.candidate.number,
        )
    )
    return matches[:limit]


# --- group_themes ------------------------------------------------------------------------


def _surface(stem: str, surfaces: Counter[str]) -> str:
    return surfaces.most_common(1)[0][0] if surfaces else stem


def group_themes(
    items: Sequence[tuple[int, str]], *, max_themes: int = 8, min_size: int = 2
) -> list[Theme]:
    """Group (id, text) items into named themes, largest first; loners are left out."""
    min_size = max(min_size, 2)  # a theme of one is no theme
    if max_themes <= 0 or len(items) < 2 * min_size:
        return []
    analyzed = [(item_id, terms) for item_id, text in items if (terms := _analyze(text))]
    if len(analyzed) < 2 * min_size:
        return []

    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Average linkage needs all pairwise distances (quadratic), so only a sample is
    # clustered; the items after it join the nearest theme if they are close enough.
    sample = analyzed[:_MAX_CLUSTERED]
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float64)
    matrix = vectorizer.fit_transform([_features(terms) for _, terms in sample]).tocsr()
    distance = np.clip(1.0 - (matrix @ matrix.T).toarray(), 0.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=_THEME_DISTANCE,
    ).fit_predict(distance)

    clusters: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        clusters.setdefault(int(label), []).append(index)
    groups = [members for members in clusters.values() if len(members) >= 2]
    if not groups:
        return []
    centroids = np.vstack([np.asarray(matrix[members].mean(axis=0)).ravel() for members in groups])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    similarity = np.asarray(matrix @ centroids.T)
    if len(analyzed) > len(sample):
        rest = vectorizer.transform([_features(terms) for _, terms in analyzed[len(sample) :]])
        rest_similarity = np.asarray(rest @ centroids.T)
        best = rest_similarity.argmax(axis=1)
        for offset, group in enumerate(best):
            if rest_similarity[offset, group] >= _THEME_JOIN_SIMILARITY:
                groups[int(group)].append(len(sample) + offset)
        similarity = np.vstack([similarity, rest_similarity])

    # Largest first, ties by the earliest member; only the themes returned get names.
    kept = [(number, members) for number, members in enumerate(groups) if len(members) >= min_size]
    kept.sort(key=lambda entry: (-len(entry[1]), min(entry[1])))
    kept = kept[:max_themes]
    features = [set(_features(terms)) for _, terms in analyzed]
    overall: Counter[str] = Counter()
    for doc in features:
        overall.update(doc)
    themes = []
    for number, members in kept:
        # Most central first: closest to the theme's centroid, ties in input order.
        members.sort(key=lambda i: (-round(float(similarity[i, number]), 9), i))
        name, top_terms = _name(
            [analyzed[i][1] for i in members],
            [features[i] for i in members],
            overall,
            len(analyzed),
        )
        themes.append(Theme(name, top_terms, tuple(analyzed[i][0] for i in members)))
    return themes


def _name(
    members: list[_Terms],
    features: list[set[str]],
    overall: Counter[str],
    total: int,
) -> tuple[str, tuple[str, ...]]:
    """A theme's name and top terms: what its members say far more often than everyone."""
    inside: Counter[str] = Counter()
    for doc in features:
        inside.update(doc)
    size = len(members)

    def score(feature: str) -> float:
        share = inside[feature] / size
        lift = share / (overall[feature] / total)
        # Share times log-lift: frequent in the theme and rare outside it.
        return share * math.log(lift) if lift > 1 else share * 1e-3

    ranked = sorted(inside, key=lambda f: (-score(f), f))
    surfaces: dict[str, Counter[str]] = {}
    pairs: dict[str, Counter[str]] = {}
    for terms in members:
        for stem, surface in terms:
            surfaces.setdefault(stem, Counter())[surface] += 1
        for (a, surface_a), (b, surface_b) in itertools.pairwise(terms):
            key = f"{a} {b}" if a < b else f"{b} {a}"
            pairs.setdefault(key, Counter())[f"{surface_a} {surface_b}"] += 1
    unigrams = [f for f in ranked if " " not in f]
    bigrams = [f for f in ranked if " " in f]
    # Stems are for matching; people read the word form the members use most.
    top_terms = tuple(_surface(f, surfaces.get(f, Counter())) for f in unigrams[:_THEME_TERMS])
    # A bigram many members share reads best ("csv export", "dark mode").
    if bigrams and inside[bigrams[0]] >= max(2, 0.3 * size) and unigrams[0] in bigrams[0].split():
        return _surface(bigrams[0], pairs.get(bigrams[0], Counter())), top_terms
    name = top_terms[0]
    if len(unigrams) > 1 and inside[unigrams[1]] >= 0.3 * size:
        name = f"{name} {top_terms[1]}"
    return name, top_terms
